import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';

/** Deterministic values in [-0.5, 0.5): parity tests feed both backends the same numbers. */
export function seededValues(count: number, seed: number): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 32 - 0.5;
  }
  return values;
}

/** max |a − b| / max |b|: the error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worstDifference = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worstDifference = Math.max(worstDifference, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? worstDifference : worstDifference / scale;
}

/** Runs `compute` on `backend` and returns plain arrays of its outputs. */
export async function onBackend(backend: string, compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(compute);
  const values = outputs.map((tensor) => tensor.dataSync() as Float32Array);
  tf.dispose(outputs);
  return values;
}

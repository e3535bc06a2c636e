/**
 * The project's wasm kernels and gradient configs for the non-convolution parts of a training step
 * (Tile, Identity/Cast, Sum/Mean over leading axes, FusedBatchNorm and its gradient, the Mean/Sum
 * gradients) against the cpu backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, WASM_GRADIENT_KERNELS } from '../../../src-main/engine';
import { guardWasmHeap, HEADROOM_BYTES, WASM_HEAP_MAX_BYTES, WasmHeapExhaustedError } from '../../../src-main/engine/wasm-kernels/heap-guard';
import { leadingAxes } from '../../../src-main/engine/wasm-kernels/reduce';
import { onBackend, relativeError, seededValues } from './helpers';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await initBackend('wasm');
});

function seeded(shape: number[], seed: number, scale = 1, shift = 0): tf.Tensor {
  const values = seededValues(tf.util.sizeFromShape(shape), seed).map((v) => v * scale + shift);
  return tf.tensor(values, shape);
}

async function expectParity(compute: () => tf.Tensor[]): Promise<void> {
  const cpu = await onBackend('cpu', compute);
  const wasm = await onBackend('wasm', compute);
  expect(wasm.length).toBe(cpu.length);
  cpu.forEach((expected, i) => expect(relativeError(wasm[i], expected)).toBeLessThanOrEqual(TOLERANCE));
}

describe('wasm Tile', () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 16], [4, 5, 6, 1]],
    [[3], [4]],
    [[2, 3], [1, 1]],
    [[2, 3], [3, 2]],
    [[2, 1, 3], [1, 4, 1]],
    [[1, 2, 1, 3, 1], [2, 1, 3, 1, 2]],
    [[5, 1], [1, 7]],
    [[2, 3], [0, 2]],
  ];
  for (const [shape, reps] of cases) {
    it(`${shape.join('×')} tiled ${reps.join('×')} matches cpu for float32, int32 and bool`, async () => {
      const float = await onBackend('cpu', () => [tf.tile(seeded(shape, 3), reps)]);
      const floatWasm = await onBackend('wasm', () => [tf.tile(seeded(shape, 3), reps)]);
      expect(Array.from(floatWasm[0])).toEqual(Array.from(float[0]));
      const ints = (backend: string) =>
        onBackend(backend, () => [tf.tile(tf.tensor(Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => i - 3), shape, 'int32'), reps)]);
      expect(Array.from((await ints('wasm'))[0])).toEqual(Array.from((await ints('cpu'))[0]));
      const bools = (backend: string) =>
        onBackend(backend, () => [tf.tile(tf.tensor(Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => i % 3 === 0), shape, 'bool'), reps)]);
      expect(Array.from((await bools('wasm'))[0])).toEqual(Array.from((await bools('cpu'))[0]));
    });
  }

  it('of a scalar', async () => {
    await tf.setBackend('wasm');
    expect(tf.tile(tf.scalar(2.5), []).dataSync()[0]).toBe(2.5);
  });
});

describe('wasm Identity and Cast share data', () => {
  it('clone and same-dtype cast allocate nothing and survive disposal of the original', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const bytes = tf.memory().numBytes;
    const copy = x.clone();
    const cast = tf.cast(x, 'float32');
    expect(tf.backend().numDataIds()).toBeGreaterThan(0);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(cast.dataSync())).toEqual([1, 2, 3, 4]);
    const before = tf.backend().numDataIds();
    copy.dispose();
    cast.dispose();
    expect(tf.backend().numDataIds()).toBe(before - 1);
    expect(tf.memory().numBytes).toBeLessThanOrEqual(bytes);
  });

  it('casts between dtypes as the cpu backend does', async () => {
    const compute = () => [
      tf.cast(tf.tensor([1.7, -2.2, 0, 3.5]), 'int32'),
      tf.cast(tf.tensor([1, 0, 3], [3], 'int32'), 'bool'),
      tf.cast(tf.tensor([true, false], [2], 'bool'), 'float32'),
    ];
    const cpu = await onBackend('cpu', compute);
    const wasm = await onBackend('wasm', compute);
    cpu.forEach((expected, i) => expect(Array.from(wasm[i])).toEqual(Array.from(expected)));
  });
});

describe('wasm Sum and Mean over leading axes', () => {
  it('recognises only leading axes with one kept', () => {
    expect(leadingAxes([2, 3, 4, 5], [0, 1, 2])).toBe(3);
    expect(leadingAxes([2, 3, 4, 5], [2, 0, 1])).toBe(3);
    expect(leadingAxes([2, 3, 4, 5], 0)).toBe(1);
    expect(leadingAxes([2, 3, 4, 5], [1, 2])).toBe(0);
    expect(leadingAxes([2, 3, 4, 5], [0, 1, 2, 3])).toBe(0);
    expect(leadingAxes([2, 3, 4, 5], -1)).toBe(0);
  });

  const cases: [string, number[], number | number[], boolean][] = [
    ['an NHWC activation over N, H, W', [64, 32, 32, 16], [0, 1, 2], false],
    ['an NHWC activation over N, H, W keeping dims', [8, 16, 16, 32], [0, 1, 2], true],
    ['a prime number of rows', [1031, 8], 0, false],
    ['rows below the first-stage limit', [700, 9], [0], false],
    ['two leading axes of a rank-3 tensor', [30, 40, 7], [0, 1], false],
    ['trailing axes (stock kernel)', [16, 32, 30], [1, 2], false],
    ['all axes (stock kernel)', [64, 100], [0, 1], false],
  ];
  for (const [name, shape, axis, keepDims] of cases) {
    it(`${name} matches cpu`, async () => {
      // Offset values: a mean far from zero is where float32 summation loses most.
      await expectParity(() => {
        const x = seeded(shape, 17, 2, 0.7);
        return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
      });
    });
  }

  it('int32 input (stock kernel)', async () => {
    await expectParity(() => {
      const x = tf.tensor(Array.from({ length: 64 * 80 }, (_, i) => (i % 13) - 6), [64, 80], 'int32');
      return [tf.sum(x, 0), tf.mean(x, 0)];
    });
  });
});

describe('wasm batch normalisation', () => {
  const shapes: number[][] = [
    [8, 16, 16, 16],
    [4, 5, 7, 3],
    [6, 10],
  ];
  for (const shape of shapes) {
    const c = shape[shape.length - 1];
    it(`forward, ${shape.join('×')}, with and without scale and offset, matches cpu`, async () => {
      await expectParity(() => {
        const x = seeded(shape, 5, 3, 1.5);
        const mean = seeded([c], 6, 1, 1.5);
        const variance = tf.add(tf.square(seeded([c], 7, 2)), 0.1);
        const offset = seeded([c], 8);
        const scale = seeded([c], 9, 2, 1);
        return [
          tf.batchNorm(x, mean, variance, offset, scale, 1e-3),
          tf.batchNorm(x, mean, variance, undefined, undefined, 1e-5),
        ];
      });
    });

    it(`gradient with respect to x, mean, variance, scale and offset, ${shape.join('×')}, matches cpu`, async () => {
      await expectParity(() => {
        const x = seeded(shape, 15, 3, 0.5);
        const mean = seeded([c], 16, 1, 0.5);
        const variance = tf.add(tf.square(seeded([c], 17, 2)), 0.1);
        const offset = seeded([c], 18);
        const scale = seeded([c], 19, 2, 1);
        const dy = seeded(shape, 20);
        const f = (xv: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
          tf.batchNorm(xv, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3);
        // (TF.js can differentiate batchNorm only with both a scale and an offset: it saves the missing ones.)
        return tf.grads(f)([x, mean, variance, offset, scale], dy);
      });
    });
  }

  it('training-mode normalisation (moments, then batchNorm) backpropagates as on cpu', async () => {
    await expectParity(() => {
      const x = seeded([16, 8, 8, 12], 25, 4, 2);
      const scale = seeded([12], 26, 1, 1);
      const offset = seeded([12], 27);
      const dy = seeded([16, 8, 8, 12], 28);
      const f = (xv: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
        const { mean, variance } = tf.moments(xv, [0, 1, 2]);
        return tf.batchNorm(xv, mean, variance, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3);
      };
      return tf.grads(f)([x, scale, offset], dy);
    });
  });

  it('parameters of the same rank as x fall back to the TF.js gradient', async () => {
    await expectParity(() => {
      const x = seeded([4, 6, 6, 5], 35, 2);
      const mean = seeded([1, 1, 1, 5], 36);
      const variance = tf.add(tf.square(seeded([1, 1, 1, 5], 37)), 0.5);
      const scale = seeded([1, 1, 1, 5], 39, 1, 1);
      const offset = seeded([1, 1, 1, 5], 40);
      const dy = seeded([4, 6, 6, 5], 38);
      return tf.grads((xv: tf.Tensor) =>
        tf.batchNorm4d(xv as tf.Tensor4D, mean as tf.Tensor4D, variance as tf.Tensor4D, offset as tf.Tensor4D, scale as tf.Tensor4D))([x], dy);
    });
  });

  // (No convolution bias: before a batch norm its gradient is zero up to rounding, so no relative error.)
  it('a tfjs-layers Conv2D → BatchNormalization → ReLU → Dense model has the cpu gradients', async () => {
    const compute = () => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [12, 12, 3], filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
          tfl.layers.batchNormalization({ axis: -1 }),
          tfl.layers.activation({ activation: 'relu' }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
      const x = seeded([6, 12, 12, 3], 41, 2, 0.3);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), 4);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
      const result = [value, ...variables.map((v) => grads[v.name])];
      model.dispose();
      return result;
    };
    await expectParity(compute);
  });
});

describe('wasm Mean and Sum gradients', () => {
  for (const axis of [[0, 1, 2], [1, 2], 3, [0, 3]] as (number | number[])[]) {
    it(`axis ${JSON.stringify(axis)}, with and without keepDims, matches cpu`, async () => {
      await expectParity(() => {
        const x = seeded([3, 4, 5, 6], 51);
        const keep = tf.grads((v: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.mean(v, axis, true), 2)), tf.sum(tf.sum(v, axis, true))))([x]);
        const drop = tf.grads((v: tf.Tensor) => tf.add(tf.sum(tf.square(tf.mean(v, axis))), tf.sum(tf.square(tf.sum(v, axis)))))([x]);
        return [...keep, ...drop];
      });
    });
  }
});

it('every kernel the project registers is listed with how it works', () => {
  for (const [name, entry] of Object.entries(WASM_GRADIENT_KERNELS)) {
    expect(entry.how.length, name).toBeGreaterThan(10);
    expect(tf.getKernel(name, 'wasm')?.kernelFunc).toBe(entry.kernelFunc);
  }
});

describe('wasm heap guard', () => {
  function fakeModule(heapBytes: number, returned: number) {
    const freed: number[] = [];
    const module = {
      HEAPU8: new Uint8Array(0),
      asm: { memory: { buffer: { byteLength: heapBytes } } , malloc: () => returned, free: (p: number) => void freed.push(p) },
      _malloc: (_bytes: number) => returned,
      _free: (_pointer: number) => undefined,
    };
    return { module, freed };
  }

  it('throws a clear error before malloc when the heap would grow into the last headroom', () => {
    const { module } = fakeModule(WASM_HEAP_MAX_BYTES - HEADROOM_BYTES - 1000, 1024);
    guardWasmHeap({ wasm: module });
    expect(module._malloc(512)).toBe(1024);
    expect(() => module._malloc(4096)).toThrow(WasmHeapExhaustedError);
    expect(() => module._malloc(4096)).toThrow(/smaller batch size/);
  });

  it('throws when malloc returns null', () => {
    const { module } = fakeModule(2 ** 30, 0);
    guardWasmHeap({ wasm: module });
    expect(() => module._malloc(64)).toThrow(WasmHeapExhaustedError);
  });

  it('is installed on the running wasm backend', async () => {
    await tf.setBackend('wasm');
    const wasm = (tf.backend() as unknown as { wasm: { _malloc: (n: number) => number } }).wasm;
    expect(wasm._malloc.toString()).toMatch(/WasmHeapExhaustedError/);
    expect(() => tf.zeros([2 ** 30])).toThrow(WasmHeapExhaustedError);
    expect(tf.sum(tf.ones([4])).dataSync()[0]).toBe(4);
  });
});

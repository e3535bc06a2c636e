import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/engine';
import { phasesTileInput } from '../../../src-main/engine/wasm-kernels/conv2d-grad';
import { onBackend, relativeError, seededValues } from './helpers';

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

const TOLERANCE = 1e-4;
const KERNELS = [1, 3, 5, 7, 11];
const STRIDES = [1, 2];
const PADDINGS: [string, Pad][] = [
  ['same', 'same'],
  ['valid', 'valid'],
  ['explicit', [[0, 0], [1, 2], [2, 0], [0, 0]]],
];

beforeAll(async () => {
  await initBackend('wasm');
});

/** dx and dW of a convolution for a fixed upstream gradient, on one backend. */
async function convGradients(backend: string, k: number, stride: number, pad: Pad): Promise<Float32Array[]> {
  // Non-square input and kernel-dependent size so that every kernel fits with 'valid'.
  const xShape: [number, number, number, number] = [2, k + 6, k + 3, 3];
  const wShape: [number, number, number, number] = [k, k, 3, 4];
  return onBackend(backend, () => {
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(xShape), 11 * k + stride), xShape);
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(wShape), 7 * k), wShape);
    const forward = (input: tf.Tensor4D, weights: tf.Tensor4D) => tf.conv2d(input, weights, stride, pad);
    const outShape = forward(x, filter).shape;
    const dy = tf.tensor(seededValues(tf.util.sizeFromShape(outShape), 5), outShape);
    return tf.grads((input: tf.Tensor, weights: tf.Tensor) => forward(input as tf.Tensor4D, weights as tf.Tensor4D))([x, filter], dy);
  });
}

describe('wasm Conv2D gradient kernels match the cpu backend', () => {
  for (const k of KERNELS) {
    for (const stride of STRIDES) {
      for (const [padName, pad] of PADDINGS) {
        it(`kernel ${k}, stride ${stride}, ${padName} padding`, async () => {
          const [dxCpu, dwCpu] = await convGradients('cpu', k, stride, pad);
          const [dxWasm, dwWasm] = await convGradients('wasm', k, stride, pad);
          expect(relativeError(dxWasm, dxCpu)).toBeLessThanOrEqual(TOLERANCE);
          expect(relativeError(dwWasm, dwCpu)).toBeLessThanOrEqual(TOLERANCE);
        });
      }
    }
  }

  it('non-square kernel and strides (3×1 kernel, stride 2×1)', async () => {
    const compute = () => {
      const x = tf.tensor4d(seededValues(2 * 9 * 7 * 5, 3), [2, 9, 7, 5]);
      const filter = tf.tensor4d(seededValues(3 * 1 * 5 * 6, 4), [3, 1, 5, 6]);
      return tf.grads((input: tf.Tensor, weights: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, [2, 1], 'same'))))([x, filter]);
    };
    const cpu = await onBackend('cpu', compute);
    const wasm = await onBackend('wasm', compute);
    cpu.forEach((expected, i) => expect(relativeError(wasm[i], expected)).toBeLessThanOrEqual(TOLERANCE));
  });
});

describe('other wasm gradient kernels match the cpu backend', () => {
  for (const [multiplier, stride] of [[1, 1], [1, 2], [2, 1], [2, 2]]) {
    it(`depthwise convolution, channel multiplier ${multiplier}, stride ${stride}`, async () => {
      const compute = () => {
        const x = tf.tensor4d(seededValues(2 * 9 * 8 * 4, 21), [2, 9, 8, 4]);
        const filter = tf.tensor4d(seededValues(3 * 3 * 4 * multiplier, 22), [3, 3, 4, multiplier]);
        return tf.grads((input: tf.Tensor, weights: tf.Tensor) =>
          tf.sum(tf.square(tf.depthwiseConv2d(input as tf.Tensor4D, weights as tf.Tensor4D, stride, 'same'))))([x, filter]);
      };
      const cpu = await onBackend('cpu', compute);
      const wasm = await onBackend('wasm', compute);
      cpu.forEach((expected, i) => expect(relativeError(wasm[i], expected)).toBeLessThanOrEqual(TOLERANCE));
    });
  }

  it('gather (UnsortedSegmentSum) and pooling gradients', async () => {
    const compute = () => {
      const x = tf.tensor4d(seededValues(2 * 8 * 8 * 3, 31), [2, 8, 8, 3]);
      const table = tf.tensor2d(seededValues(5 * 3, 32), [5, 3]);
      const [dx] = tf.grads((input: tf.Tensor) =>
        tf.add(tf.sum(tf.maxPool(input as tf.Tensor4D, 3, 2, 'same')), tf.sum(tf.avgPool(input as tf.Tensor4D, 2, 2, 'valid'))))([x]);
      const [dTable] = tf.grads((weights: tf.Tensor) => tf.sum(tf.square(tf.gather(weights, [0, 2, 2, 4]))))([table]);
      return [dx, dTable];
    };
    const cpu = await onBackend('cpu', compute);
    const wasm = await onBackend('wasm', compute);
    cpu.forEach((expected, i) => expect(relativeError(wasm[i], expected)).toBeLessThanOrEqual(TOLERANCE));
  });
});

describe('each wasm Conv2D gradient path matches the cpu backend', () => {
  // Strided convolutions whose phases tile dx exactly take the transpose interleave; the cases above
  // (odd sizes, padding before) take the scatter loop. Both are checked here, and which one each takes.
  const TILING: [string, [number, number], number[], number | [number, number], Pad, boolean][] = [
    ['stride 2, same, even sizes (ResNet, VGG)', [3, 3], [2, 8, 6, 5], 2, 'same', true],
    ['stride 2, valid (projection shortcut: three phases get no tap)', [1, 1], [2, 8, 6, 5], 2, 'valid', true],
    ['stride 2, valid', [2, 2], [2, 8, 6, 5], 2, 'valid', true],
    ['stride 2, same (padding before)', [4, 4], [2, 8, 8, 5], 2, 'same', false],
    ['stride 3, same', [3, 3], [2, 9, 6, 5], 3, 'same', true],
    ['stride 2×1, same', [3, 1], [2, 8, 7, 5], [2, 1], 'same', true],
    ['stride 2, same, odd height', [3, 3], [2, 9, 6, 5], 2, 'same', false],
  ];
  for (const [name, [kh, kw], xShape, strides, pad, tiles] of TILING) {
    it(`${kh}×${kw}, ${name}: ${tiles ? 'transpose interleave' : 'scatter loop'}`, async () => {
      const wShape: [number, number, number, number] = [kh, kw, xShape[3], 6];
      const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], wShape, strides, 1, pad);
      expect(phasesTileInput(info)).toBe(tiles);
      const compute = () => {
        const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(xShape), 41), xShape as [number, number, number, number]);
        const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(wShape), 42), wShape);
        return tf.grads((input: tf.Tensor, weights: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, strides, pad))))([x, filter]);
      };
      const cpu = await onBackend('cpu', compute);
      const wasm = await onBackend('wasm', compute);
      cpu.forEach((expected, i) => expect(relativeError(wasm[i], expected)).toBeLessThanOrEqual(TOLERANCE));
    });
  }

  // Filter gradients whose dy rows are a multiple of 1024 floats get a zero tap row and column.
  for (const [xShape, stride] of [[[4, 16, 16, 3], 1], [[4, 32, 32, 2], 2]] as [[number, number, number, number], number][]) {
    it(`filter gradient with the alignment-breaking zero taps: ${xShape.join('×')}, stride ${stride}`, async () => {
      const compute = () => {
        const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(xShape), 51), xShape);
        const filter = tf.tensor4d(seededValues(3 * 3 * xShape[3] * 4, 52), [3, 3, xShape[3], 4]);
        return tf.grads((input: tf.Tensor, weights: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, stride, 'same'))))([x, filter]);
      };
      const cpu = await onBackend('cpu', compute);
      const wasm = await onBackend('wasm', compute);
      cpu.forEach((expected, i) => expect(relativeError(wasm[i], expected)).toBeLessThanOrEqual(TOLERANCE));
    });
  }
});

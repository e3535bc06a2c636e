/** GroupedConv2D equals a dense convolution whose kernel is block-diagonal over the groups. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { GroupedConv2D } from '../../../src-main/zoo';
import { useCpu } from './helpers';

beforeAll(useCpu);

/** [kh, kw, in/groups, out] → [kh, kw, in, out] with zeros off the diagonal blocks. */
function blockDiagonal(kernel: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [kh, kw, inPerGroup, out] = kernel.shape;
  const outPerGroup = out / groups;
  const values = kernel.arraySync();
  const dense = tf.buffer([kh, kw, inPerGroup * groups, out]);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let o = 0; o < out; o++) {
        const g = Math.floor(o / outPerGroup);
        for (let c = 0; c < inPerGroup; c++) dense.set(values[i][j][c][o], i, j, g * inPerGroup + c, o);
      }
    }
  }
  return dense.toTensor() as tf.Tensor4D;
}

describe('GroupedConv2D', () => {
  it.each([
    { groups: 4, strides: 1, padding: 'same' as const },
    { groups: 2, strides: 2, padding: 'valid' as const },
    { groups: 8, strides: 2, padding: 'same' as const },
  ])('equals a block-diagonal dense conv, outputs and gradients ($groups groups, stride $strides, $padding)', ({ groups, strides, padding }) => {
    const layer = new GroupedConv2D({ filters: 16, kernelSize: 3, strides, padding, groups, useBias: true });
    const x = tf.randomNormal([2, 9, 9, 8], 0, 1, 'float32', 7) as tf.Tensor4D;
    const y = layer.apply(x) as tf.Tensor4D;
    const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
    const denseKernel = blockDiagonal(kernel, groups);
    const reference = tf.add(tf.conv2d(x, denseKernel, strides, padding), bias);
    expect(y.shape).toEqual(reference.shape);
    expect(tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]).toBeLessThan(1e-5);

    // Gradients with respect to the input agree, and the kernel gradient is the dense one's diagonal blocks.
    const upstream = tf.randomNormal(y.shape, 0, 1, 'float32', 8);
    const dxGrouped = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, upstream)))(x);
    const dxDense = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, denseKernel, strides, padding), upstream)))(x);
    expect(tf.max(tf.abs(tf.sub(dxGrouped, dxDense))).dataSync()[0]).toBeLessThan(1e-4);
    const dkDense = tf.grad((k: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, k as tf.Tensor4D, strides, padding), upstream)))(denseKernel) as tf.Tensor4D;
    const kernelVariable = layer.trainableWeights[0].read() as tf.Variable;
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, upstream)) as tf.Scalar, [kernelVariable]);
    const dkGrouped = blockDiagonal(grads[kernelVariable.name] as tf.Tensor4D, groups);
    const mask = blockDiagonal(tf.onesLike(kernel), groups);
    expect(tf.max(tf.abs(tf.sub(dkGrouped, tf.mul(dkDense, mask)))).dataSync()[0]).toBeLessThan(1e-4);
  });

  it('refuses channels that do not divide by the groups, saying what it got', () => {
    expect(() => new GroupedConv2D({ filters: 10, kernelSize: 3, groups: 4 })).toThrow(/filters \(10\) must divide by groups \(4\)/);
    const layer = new GroupedConv2D({ filters: 8, kernelSize: 3, groups: 4 });
    expect(() => layer.apply(tfl.input({ shape: [5, 5, 6] }))).toThrow(/input channels \(6\) must divide by groups \(4\)/);
  });
});

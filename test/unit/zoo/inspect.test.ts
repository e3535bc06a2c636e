/** The inspector: shapes by O = (I − K + 2P)/S + 1, receptive fields, refusals, option checks. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, InputTooSmallError, inspectModel, ModelOptionError } from '../../../src-main/zoo';
import { useCpu } from './helpers';

beforeAll(useCpu);

const out = (I: number, K: number, P: number, S: number): number => Math.floor((I - K + 2 * P) / S) + 1;

function layer(name: string, options: Parameters<typeof inspectModel>[1], layerName: string) {
  const record = inspectModel(name, options).layers.find((l) => l.name === layerName);
  if (!record) throw new Error(`${name} has no layer ${layerName}`);
  return record;
}

describe('inspectModel', () => {
  it('follows the formula through AlexNet at 224×224', () => {
    const alexnet = inspectModel('alexnet');
    const byName = new Map(alexnet.layers.map((l) => [l.name, l]));
    const conv1 = out(224, 11, 2, 4);
    const pool1 = out(conv1, 3, 0, 2);
    const pool2 = out(out(pool1, 5, 2, 1), 3, 0, 2);
    const pool5 = out(pool2, 3, 0, 2);
    expect(byName.get('conv1_conv')!.outputShape).toEqual([conv1, conv1, 64]);
    expect(byName.get('pool1')!.outputShape).toEqual([pool1, pool1, 64]);
    expect(byName.get('pool2')!.outputShape).toEqual([pool2, pool2, 192]);
    expect(byName.get('pool5')!.outputShape).toEqual([pool5, pool5, 256]);
    expect(byName.get('flatten')!.outputShape).toEqual([9216]);
    // Receptive fields: 11, then + (K − 1)·jump at each window.
    expect(byName.get('conv1_conv')!.receptiveField).toBe(11);
    expect(byName.get('pool1')!.receptiveField).toBe(19);
    expect(byName.get('pool5')!.receptiveField).toBe(195);
    expect(alexnet).toMatchObject({ name: 'alexnet', input: [224, 224, 3], classes: 1000, macs: 714_188_480 });
    expect(alexnet.params).toEqual({ trainable: 61_100_840, nonTrainable: 0 });
  });

  it('gives the known receptive field of VGG-16 and the stage shapes of ResNet-20', () => {
    expect(layer('vgg16', {}, 'block5_pool').receptiveField).toBe(212);
    expect(layer('vgg16', {}, 'block5_pool').outputShape).toEqual([7, 7, 512]);
    const resnet = inspectModel('resnet20', { input: [28, 28, 1], classes: 10 });
    const shape = (name: string) => resnet.layers.find((l) => l.name === name)!.outputShape;
    expect(shape('conv2_block3_out')).toEqual([28, 28, 16]);
    expect(shape('conv3_block3_out')).toEqual([14, 14, 32]);
    expect(shape('conv4_block3_out')).toEqual([7, 7, 64]);
    expect(shape('logits')).toEqual([10]);
  });

  it('counts BatchNormalization moving statistics as non-trainable and activations per batch', () => {
    const one = inspectModel('resnet20');
    const bnChannels = one.layers.filter((l) => l.type === 'BatchNormalization').reduce((sum, l) => sum + l.outputShape[2], 0);
    expect(one.params.nonTrainable).toBe(2 * bnChannels);
    const elements = one.layers.reduce((sum, l) => sum + l.outputShape.reduce((a, b) => a * b, 1), 0);
    expect(one.activationBytes).toBe(4 * elements);
    expect(inspectModel('resnet20', { batchSize: 8 }).activationBytes).toBe(8 * one.activationBytes);
  });

  it('refuses a too-small input, naming the layer where O falls below 1', () => {
    const refuse = (name: string, input: [number, number, number]) => {
      try {
        inspectModel(name, { input });
      } catch (error) {
        return error as InputTooSmallError;
      }
      throw new Error(`${name} accepted ${input}`);
    };
    const alexnet = refuse('alexnet', [32, 32, 3]);
    expect(alexnet).toBeInstanceOf(InputTooSmallError);
    expect(alexnet.layer).toBe('pool5');
    expect(alexnet.formula).toEqual({ I: 1, K: 3, P: 0, S: 2, O: 0 });
    expect(alexnet.message).toBe('input 32×32×3 is too small for alexnet: at layer "pool5" O = (I − K + 2P)/S + 1 = (1 − 3 + 2·0)/2 + 1 = 0 < 1');
    expect(refuse('vgg16', [16, 16, 3]).layer).toBe('block5_pool');
    expect(refuse('inception_v3', [64, 64, 3]).layer).toBe('mixed7a_branch3x3_2_conv');
    expect(refuse('densenet_bc_100_k12', [3, 3, 3]).layer).toBe('pool3_pool');
  });

  it('refuses a too-small input before building any weight', () => {
    const before = tf.memory().numTensors;
    expect(() => createModel('vgg19', { input: [16, 16, 3] })).toThrow(InputTooSmallError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts any input with smallInput or for the small-image variants', () => {
    expect(inspectModel('resnet50', { input: [32, 32, 3], smallInput: true, classes: 10 }).layers.at(-1)!.outputShape).toEqual([10]);
    expect(layer('resnet50', { input: [32, 32, 3], smallInput: true }, 'conv5_block3_out').outputShape).toEqual([4, 4, 2048]);
    expect(layer('densenet_bc_100_k12', { input: [28, 28, 1] }, 'relu').outputShape).toEqual([7, 7, 342]);
    expect(layer('inception_v3', { input: [32, 32, 3], smallInput: true }, 'mixed7c_concat').outputShape).toEqual([7, 7, 2048]);
  });
});

describe('option checks say what they received', () => {
  const fails = (name: string, options: Record<string, unknown>, field: string, message: RegExp) => {
    let error: unknown;
    try {
      inspectModel(name, options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ModelOptionError);
    expect((error as ModelOptionError).field).toBe(field);
    expect((error as ModelOptionError).message).toMatch(message);
  };

  it('checks input, classes and switches', () => {
    fails('resnet20', { input: [32, 32] }, 'input', /input must be \[height, width, channels\] of positive integers; got \[32,32\]/);
    fails('resnet20', { input: [32, 32, 0] }, 'input', /got \[32,32,0\]/);
    fails('resnet20', { classes: 0 }, 'classes', /classes must be a positive integer; got 0/);
    fails('resnet50', { activation: 'tanh' }, 'activation', /activation must be one of relu, leaky_relu, sigmoid, elu; got "tanh"/);
    fails('resnet50', { lrn: true }, 'lrn', /resnet50 has no switch "lrn"/);
    fails('resnet18', { cardinality: 32 }, 'cardinality', /resnet18 has no switch "cardinality"/);
    fails('resnet20', { smallInput: true }, 'smallInput', /resnet20 has no switch "smallInput"/);
    fails('vgg16', { dropout: 1.5 }, 'dropout', /dropout must be ≥ 0 and ≤ 1; got 1.5/);
    fails('resnext50_32x4d', { cardinality: 2.5 }, 'cardinality', /cardinality must be an integer/);
    fails('densenet121', { compression: 0 }, 'compression', /compression must be > 0 and ≤ 1; got 0/);
  });
});

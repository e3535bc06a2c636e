/**
 * Save → load round trip through the tf.io memory handlers: the custom layers (GroupedConv2D,
 * LocalResponseNormalization, ChannelPad) are registered for serialization, so a loaded model
 * has the same topology and gives bit-identical outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, outputLossWeights, type BuildOptions } from '../../../src-main/zoo';
import { fixedBatch, useCpu } from './helpers';

beforeAll(useCpu);

async function roundTrip(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (saved) => {
    artifacts = saved;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
}

const small = { classes: 4, input: [16, 16, 3] as [number, number, number], smallInput: true, widthMultiplier: 1 / 8 };

describe('save and load give identical outputs', () => {
  it.each([
    ['resnet20', { classes: 4, input: [28, 28, 1], widthMultiplier: 0.5 }, 'ChannelPad'],
    ['resnext50_32x4d', small, 'GroupedConv2D'],
    ['seresnet50', small, 'Multiply'],
    ['alexnet', { ...small, lrn: true, groups: 2 }, 'LocalResponseNormalization'],
    ['googlenet', { ...small, training: true, auxHeads: true }, 'Concatenate'],
  ] as [string, Partial<BuildOptions>, string][])('%s', async (name, options, layerType) => {
    const model = createModel(name, options);
    const loaded = await roundTrip(model);
    try {
      expect(loaded.layers.some((layer) => layer.getClassName() === layerType)).toBe(true);
      expect(loaded.layers.map((layer) => layer.name)).toEqual(model.layers.map((layer) => layer.name));
      expect(loaded.countParams()).toBe(model.countParams());
      expect(outputLossWeights(loaded)).toEqual(outputLossWeights(model));
      const { x } = fixedBatch(options.input!, options.classes!);
      const expected = [model.predict(x)].flat() as tf.Tensor[];
      const actual = [loaded.predict(x)].flat() as tf.Tensor[];
      expect(actual.length).toBe(expected.length);
      actual.forEach((tensor, i) => expect(Array.from(tensor.dataSync())).toEqual(Array.from(expected[i].dataSync())));
      tf.dispose([x, expected, actual]);
    } finally {
      model.dispose();
      loaded.dispose();
    }
  });

  it('googlenet in training mode outputs [logits, aux1, aux2] weighted [1, 0.3, 0.3]', () => {
    const model = createModel('googlenet', { ...small, training: true });
    expect(model.outputs.map((t) => t.sourceLayer.name)).toEqual(['logits', 'aux1_logits', 'aux2_logits']);
    expect(outputLossWeights(model)).toEqual([1, 0.3, 0.3]);
    model.dispose();
    const inference = createModel('googlenet', small);
    expect(inference.outputs.length).toBe(1);
    expect(outputLossWeights(inference)).toEqual([1]);
    inference.dispose();
  });
});

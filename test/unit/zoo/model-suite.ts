/**
 * Registry-driven (timm `tests/test_models.py`): every registered model builds at a small input,
 * gives the right output shape and no NaN, learns from one SGD step, and its dry run (what the
 * inspector reports) matches the built model layer by layer. Split over two test files so
 * Vitest runs them on both cores.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, inspectModel, listModels, type ModelMeta } from '../../../src-main/zoo';
import { fixedBatch, smallOptions, trainOneStep, useCpu } from './helpers';

export function describeModels(which: (meta: ModelMeta) => boolean): void {
  beforeAll(useCpu);

  describe.each(listModels().filter(which).map((meta) => meta.name))('%s', (name) => {
    it('builds small, predicts finite logits, learns from one step, matches its dry run', () => {
      const options = smallOptions(name);
      const model = createModel(name, options);
      try {
        const input = options.input!;
        const classes = options.classes!;
        const inspection = inspectModel(name, options);

        // The dry run names the same layers with the same types, shapes and weights.
        const built = new Map(model.layers.map((layer) => [layer.name, layer]));
        expect(inspection.layers.map((l) => l.name).sort()).toEqual([...built.keys()].sort());
        for (const record of inspection.layers) {
          const layer = built.get(record.name)!;
          expect(layer.getClassName(), record.name).toBe(record.type);
          expect((layer.outputShape as number[]).slice(1), record.name).toEqual(record.outputShape);
          expect(layer.countParams(), record.name).toBe(record.params);
        }
        const trainable = model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
        expect(inspection.params.trainable).toBe(trainable);
        expect(inspection.params.trainable + inspection.params.nonTrainable).toBe(model.countParams());

        const { x, labels } = fixedBatch(input, classes);
        const outputs = model.predict(x) as tf.Tensor | tf.Tensor[];
        const list = Array.isArray(outputs) ? outputs : [outputs];
        for (const logits of list) {
          expect(logits.shape).toEqual([2, classes]);
          expect(tf.all(tf.isFinite(logits)).dataSync()[0]).toBe(1);
        }
        tf.dispose(outputs);

        const { before, after, finiteGrads } = trainOneStep(model, x, labels);
        expect(finiteGrads).toBe(true);
        expect(Number.isFinite(before)).toBe(true);
        expect(after).toBeLessThan(before);
        tf.dispose([x, labels]);
      } finally {
        model.dispose();
      }
    });
  });
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recipeFitsModel, RecipeSchema, TrainConfigSchema } from '../../../src-main/contract';
import { truncateMetrics } from '../../../src-main/train/checkpoint';
import { configFromRecipe, findRecipe, RECIPES } from '../../../src-main/train/recipes';

const recipesForModel = (model: string) => RECIPES.filter((recipe) => recipeFitsModel(recipe, model));

describe('paper recipes', () => {
  it.each(RECIPES.map((r) => [r.name, r] as const))('%s is a valid preset', (_, recipe) => {
    expect(RecipeSchema.parse(recipe)).toEqual(recipe);
    const model = recipe.models[0].replace('*', '11');
    const config = TrainConfigSchema.parse(configFromRecipe(recipe, { model }));
    expect(config.preset).toEqual({ name: recipe.name, changed: [] });
    expect(config.learningRate).toBe(recipe.config.learningRate);
  });

  it('has a paper and a laptop version for every family, under unique names', () => {
    expect(new Set(RECIPES.map((r) => r.name)).size).toBe(RECIPES.length);
    for (const family of ['AlexNet', 'VGG', 'GoogLeNet', 'ResNet', 'ResNeXt', 'DenseNet', 'SENet']) {
      const scales = RECIPES.filter((r) => r.family === family).map((r) => r.scale);
      expect(scales).toContain('paper');
      expect(scales).toContain('laptop');
    }
    expect(recipesForModel('vgg16_bn').map((r) => r.name)).toEqual(['vgg-paper', 'vgg-laptop']);
    expect(recipesForModel('resnet56').map((r) => r.name)).toEqual(['resnet-cifar-paper', 'resnet-cifar-laptop']);
  });

  it('records which fields a run changed from its preset', () => {
    const recipe = findRecipe('resnet-cifar-laptop')!;
    const config = TrainConfigSchema.parse(configFromRecipe(recipe, { model: 'resnet20' }, { epochs: 5, learningRate: 0.05, labelSmoothing: 0.1 }));
    expect(config.epochs).toBe(5);
    expect(config.preset).toEqual({ name: 'resnet-cifar-laptop', changed: ['epochs', 'labelSmoothing'] });
  });
});

describe('the whole-run preset (issue 11)', () => {
  const preset = findRecipe('fashion-mnist-15min')!;

  it('brings its model, switches, dataset and 15-minute budget when no model is named', () => {
    const config = TrainConfigSchema.parse(configFromRecipe(preset, {}));
    expect(config).toMatchObject({
      model: 'vgg11_bn',
      modelOptions: { smallInput: true, widthMultiplier: 0.125 },
      dataset: 'fashion-mnist',
      maxMinutes: 15,
      schedule: { type: 'onecycle' },
      preset: { name: 'fashion-mnist-15min', changed: [] },
    });
  });

  it("lets the user's model, switches, dataset and budget win, and records a changed budget", () => {
    const config = TrainConfigSchema.parse(configFromRecipe(preset, { model: 'vgg11_bn', dataset: 'my-clothes', modelOptions: { widthMultiplier: 0.25 } }, { maxMinutes: 5 }));
    expect(config).toMatchObject({ dataset: 'my-clothes', modelOptions: { smallInput: true, widthMultiplier: 0.25 }, maxMinutes: 5, preset: { changed: ['maxMinutes'] } });
    // Another model does not take the preset's switches, which were chosen for vgg11_bn.
    expect(TrainConfigSchema.parse(configFromRecipe(preset, { model: 'resnet20' })).modelOptions).toEqual({});
  });

  it('refuses a training recipe without a model, naming the models it was written for', () => {
    expect(() => configFromRecipe(findRecipe('resnet-cifar-laptop')!, {})).toThrow(/needs a model: it is a training recipe for resnet20, resnet32/);
  });
});

describe('metrics.jsonl on resume', () => {
  it('drops a torn last line, lines after the checkpoint and partial epochs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvb-metrics-'));
    const file = join(dir, 'metrics.jsonl');
    const step = (n: number) => JSON.stringify({ type: 'step', step: n, epoch: 1, loss: 1, accuracy: 0, learningRate: 0.1, imagesPerSec: 1, time: n });
    const epoch = (n: number, partial: boolean) => JSON.stringify({ type: 'epoch', epoch: 1, step: n, trainLoss: 1, trainAccuracy: 0, valLoss: null, valAccuracy: null, time: n, ...(partial ? { partial } : {}) });
    writeFileSync(file, [step(1), step(2), epoch(2, false), step(3), step(4), epoch(4, true), step(5), '{"type":"st'].join('\n'));
    expect(truncateMetrics(file, 4)).toBe(5);
    expect(readFileSync(file, 'utf8')).toBe([step(1), step(2), epoch(2, false), step(3), step(4)].join('\n') + '\n');
    rmSync(dir, { recursive: true, force: true });
  });
});

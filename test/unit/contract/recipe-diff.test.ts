import { describe, expect, it } from 'vitest';
import { changedFromRecipe, TrainConfigSchema, type RecipeConfig } from '../../../src-main/contract';
import { configToForm, formToConfigInput, recipeToForm } from '../../../src-renderer/lib/validation';
import { configFromRecipe, findRecipe } from '../../../src-main/train/recipes';

const recipe: RecipeConfig = {
  epochs: 30,
  batchSize: 64,
  learningRate: 0.1,
  optimizer: 'momentum',
  momentum: 0.9,
  weightDecay: 1e-4,
  schedule: { type: 'multistep', milestones: [15, 23], gamma: 0.1 },
};

describe('changedFromRecipe: one recipe diff for the CLI and the Train form', () => {
  it('ignores key order inside a schedule', () => {
    expect(changedFromRecipe(recipe, { ...recipe, schedule: { gamma: 0.1, milestones: [15, 23], type: 'multistep' } })).toEqual([]);
  });

  it('reads an absent field as its default: left out where the recipe gives the default is no change', () => {
    expect(changedFromRecipe(recipe, { ...recipe, schedule: { type: 'multistep', milestones: [15, 23] } })).toEqual([]);
    expect(changedFromRecipe({ ...recipe, nesterov: false, warmupEpochs: 0 }, recipe)).toEqual([]);
  });

  it('counts a field the recipe sets and the config leaves out, and one the config adds', () => {
    const { momentum: _momentum, ...withoutMomentum } = recipe;
    expect(changedFromRecipe(recipe, withoutMomentum)).toEqual(['momentum']);
    expect(changedFromRecipe(recipe, { ...recipe, labelSmoothing: 0.1, schedule: { type: 'multistep', milestones: [15, 24], gamma: 0.1 } })).toEqual(['labelSmoothing', 'schedule']);
  });

  it('makes the CLI path (configFromRecipe) and the form path record the same changes for one config', () => {
    const preset = findRecipe('densenet-cifar-laptop')!;
    const changes = { learningRate: 0.05, optimizer: 'adam' as const, schedule: { gamma: 0.1, milestones: [10, 20], type: 'multistep' as const } };
    const cli = TrainConfigSchema.parse(configFromRecipe(preset, { model: 'resnet20' }, changes));

    const form = { ...configToForm({ model: 'resnet20', ...preset.config }), ...recipeToForm(preset), learningRate: 0.05, optimizer: 'adam', milestones: '10, 20' };
    const ui = changedFromRecipe(preset.config, formToConfigInput(form));

    expect(ui).toEqual(['learningRate', 'momentum', 'nesterov', 'optimizer', 'schedule']);
    expect(cli.preset!.changed).toEqual(ui);
  });
});

// One set of defaults: the Train form, the augmentation preview, the recipes and `cvb train` all
// start from the contract's DEFAULT_TRAIN_CONFIG and AUGMENT_DEFAULTS, so the UI and the CLI send
// the same config for the same choices.
import { describe, expect, it } from 'vitest';
import { AUGMENT_DEFAULTS, AugmentOptionsSchema, DEFAULT_TRAIN_CONFIG, TrainConfigSchema } from '../../../src-main/contract';
import { defaultTrainForm, formToConfigInput, pairText, recipeToForm } from '../../../src-renderer/lib/validation';
import { configFromRecipe, findRecipe, RECIPES } from '../../../src-main/train/recipes';

const everyAugmentation = { randomCrop: true, horizontalFlip: true, randomResizedCrop: true, colorJitter: true };

describe('defaults written once, in the contract', () => {
  it('starts the Train form at the config `cvb train` uses when no flag is given', () => {
    const form = { ...defaultTrainForm(), model: DEFAULT_TRAIN_CONFIG.model, dataset: DEFAULT_TRAIN_CONFIG.dataset };
    expect(TrainConfigSchema.parse(formToConfigInput(form))).toEqual(TrainConfigSchema.parse(DEFAULT_TRAIN_CONFIG));
  });

  it('switches each augmentation on at the contract default in the Train form (the preview: renderer/augment-preview.test.ts)', () => {
    const form = { ...defaultTrainForm(), ...DEFAULT_TRAIN_CONFIG, ...everyAugmentation };
    expect(TrainConfigSchema.parse(formToConfigInput(form)).augmentation).toEqual(AUGMENT_DEFAULTS);
  });

  it('writes the default aspect ratios as exact fractions, which the form reads back exactly', () => {
    expect(pairText(AUGMENT_DEFAULTS.randomResizedCrop.ratio)).toBe('0.75, 4/3');
    expect(pairText([0.08, 1])).toBe('0.08, 1');
    expect(pairText([0.2, 0.123456789])).toBe('0.2, 0.123456789');
    const form = { ...defaultTrainForm(), ...DEFAULT_TRAIN_CONFIG, randomResizedCrop: true, resizedCropRatio: '2/3, 3/2' };
    expect(TrainConfigSchema.parse(formToConfigInput(form)).augmentation?.randomResizedCrop?.ratio).toEqual([2 / 3, 3 / 2]);
  });

  it.each(RECIPES.map((recipe) => [recipe.name, recipe] as const))('gives a run from %s the same augmentation from the CLI and from the form', (_, recipe) => {
    const model = recipe.models[0].replace('*', '11');
    const cli = TrainConfigSchema.parse(configFromRecipe(recipe, { model }));
    const form = TrainConfigSchema.parse(formToConfigInput({ ...defaultTrainForm(), model, dataset: DEFAULT_TRAIN_CONFIG.dataset, ...recipeToForm(recipe) }));
    expect(cli.augmentation).toEqual(AugmentOptionsSchema.parse(recipe.augment));
    expect(form.augmentation).toEqual(cli.augmentation);
  });

  it('runs the CIFAR recipes with the padded crop and flip their papers describe', () => {
    const recipe = findRecipe('resnet-cifar-laptop')!;
    expect(recipe.augmentation.join(' ')).toMatch(/padded by 4 pixels/);
    expect(TrainConfigSchema.parse(configFromRecipe(recipe, { model: 'resnet20' })).augmentation).toEqual({ randomCrop: { padding: 4 }, horizontalFlip: true });
  });
});

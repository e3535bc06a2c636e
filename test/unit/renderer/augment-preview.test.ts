// The augmentation preview starts from the contract's AUGMENT_DEFAULTS, as the Train form does.
import { describe, expect, it } from 'vitest';
import { AUGMENT_DEFAULTS, AugmentOptionsSchema } from '../../../src-main/contract';
import { augmentFormToOptions, defaultAugmentForm } from '../../../src-renderer/stores/augment-preview';

describe('augmentation preview defaults', () => {
  it('switches each augmentation on at the contract default', () => {
    const form = { ...defaultAugmentForm(), randomCrop: true, horizontalFlip: true, randomResizedCrop: true, colorJitter: true };
    expect(AugmentOptionsSchema.parse(augmentFormToOptions(form))).toEqual(AUGMENT_DEFAULTS);
  });

  it('swaps two valid scale bounds typed the other way round, and leaves an invalid one where it was typed', () => {
    const swapped = augmentFormToOptions({ ...defaultAugmentForm(), randomCrop: false, randomResizedCrop: true, scaleMin: 0.9, scaleMax: 0.2 });
    expect(swapped.randomResizedCrop).toMatchObject({ scale: [0.2, 0.9] });
    const invalid = augmentFormToOptions({ ...defaultAugmentForm(), randomCrop: false, randomResizedCrop: true, scaleMin: 2, scaleMax: 0.2 });
    expect(invalid.randomResizedCrop).toMatchObject({ scale: [2, 0.2] });
  });
});

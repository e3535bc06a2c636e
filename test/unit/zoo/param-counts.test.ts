/**
 * Parameter counts pinned to the references (torchvision `test_extended_models.py` style), and
 * multiply-adds within 2%. The numbers come from bench/peers/reference_counts.py (torchvision
 * 0.14; the SE variants by hand, equal to timm's). `params` is torchvision's
 * sum(p.numel() for p in model.parameters()): our trainable count (BatchNorm's moving
 * statistics are buffers there, non-trainable weights here). Counted by the inspector's dry
 * run; models-*.test.ts checks the dry run against built models layer by layer, and a few
 * full-size builds below check it against `model.countParams()`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, getModelMeta, inspectModel, listModels, modelParamCount, type BuildOptions } from '../../../src-main/zoo';
import { useCpu } from './helpers';

beforeAll(useCpu);

/** googlenet: the paper's 5×5 third branch, no aux heads; inception_v3 with its aux head. */
const REFERENCES: Record<string, { params: number; macs: number; options: Partial<BuildOptions> }> = {
  alexnet: { params: 61_100_840, macs: 714_188_480, options: {} },
  vgg11: { params: 132_863_336, macs: 7_609_090_048, options: {} },
  vgg13: { params: 133_047_848, macs: 11_308_466_176, options: {} },
  vgg16: { params: 138_357_544, macs: 15_470_264_320, options: {} },
  vgg19: { params: 143_667_240, macs: 19_632_062_464, options: {} },
  vgg11_bn: { params: 132_868_840, macs: 7_609_090_048, options: {} },
  vgg13_bn: { params: 133_053_736, macs: 11_308_466_176, options: {} },
  vgg16_bn: { params: 138_365_992, macs: 15_470_264_320, options: {} },
  vgg19_bn: { params: 143_678_248, macs: 19_632_062_464, options: {} },
  googlenet: { params: 7_005_832, macs: 1_582_671_872, options: { auxHeads: false } },
  inception_v3: { params: 27_161_264, macs: 5_713_216_096, options: { auxHeads: true, training: true } },
  resnet18: { params: 11_689_512, macs: 1_814_073_344, options: {} },
  resnet34: { params: 21_797_672, macs: 3_663_761_408, options: {} },
  resnet50: { params: 25_557_032, macs: 4_089_184_256, options: {} },
  resnet101: { params: 44_549_160, macs: 7_801_405_440, options: {} },
  resnet152: { params: 60_192_808, macs: 11_513_626_624, options: {} },
  resnext50_32x4d: { params: 25_028_904, macs: 4_230_479_872, options: {} },
  resnext101_32x8d: { params: 88_791_336, macs: 16_414_015_488, options: {} },
  densenet121: { params: 7_978_856, macs: 2_834_161_664, options: {} },
  densenet161: { params: 28_681_000, macs: 7_727_907_072, options: {} },
  densenet169: { params: 14_149_480, macs: 3_359_843_328, options: {} },
  densenet201: { params: 20_013_928, macs: 4_291_365_888, options: {} },
  resnet20: { params: 269_722, macs: 40_551_040, options: {} },
  resnet32: { params: 464_154, macs: 68_862_592, options: {} },
  resnet44: { params: 658_586, macs: 97_174_144, options: {} },
  resnet56: { params: 853_018, macs: 125_485_696, options: {} },
  resnet110: { params: 1_727_962, macs: 252_887_680, options: {} },
  densenet_bc_100_k12: { params: 769_162, macs: 287_929_692, options: {} },
  seresnet50: { params: 28_088_024, macs: 4_091_699_200, options: {} },
  seresnext50_32x4d: { params: 27_559_896, macs: 4_232_994_816, options: {} },
};

describe('parameter counts equal the references', () => {
  // A model registered without a pinned count, or a count pinned for a model that is gone,
  // fails here: the table and the registry list the same networks.
  it('pins a count for every registered model and for no other', () => {
    expect(Object.keys(REFERENCES).sort()).toEqual(listModels().map((model) => model.name).sort());
  });

  it.each(Object.keys(REFERENCES))('%s', (name) => {
    const reference = REFERENCES[name];
    expect(getModelMeta(name), `${name} is registered`).toBeDefined();
    const inspection = inspectModel(name, reference.options);
    expect(inspection.params.trainable).toBe(reference.params);
    // MACs of the inference graph (no aux heads), as torchvision's eval-mode forward. The
    // brief asks for 2%; the counts are in fact exact, so any drift is worth a look.
    const macs = inspectModel(name, { ...reference.options, training: false }).macs;
    expect(Math.abs(macs - reference.macs) / reference.macs).toBeLessThan(0.02);
    expect(macs).toBe(reference.macs);
  });

  it('modelParamCount gives the default build\'s trainable count', () => {
    expect(modelParamCount('resnet50')).toBe(REFERENCES.resnet50.params);
    expect(modelParamCount('resnet20')).toBe(REFERENCES.resnet20.params);
  });
});

describe('the dry run agrees with full-size builds', () => {
  it.each([
    ['resnet18', {}],
    ['resnext50_32x4d', {}],
    ['alexnet', { lrn: true }],
  ] as [string, Partial<BuildOptions>][])('%s', (name, options) => {
    const model = createModel(name, options);
    try {
      const inspection = inspectModel(name, options);
      expect(model.countParams()).toBe(inspection.params.trainable + inspection.params.nonTrainable);
      expect(inspection.params.trainable).toBe(REFERENCES[name].params);
    } finally {
      model.dispose();
    }
  });
});

/** Each switch changes the network the way its description says (checked on the dry run). */
import { describe, expect, it } from 'vitest';
import { getModelMeta, inspectModel, listModels, type BuildOptions } from '../../../src-main/zoo';

const types = (name: string, options: Partial<BuildOptions> = {}) => inspectModel(name, options).layers.map((l) => l.type);
const names = (name: string, options: Partial<BuildOptions> = {}) => inspectModel(name, options).layers.map((l) => l.name);
const params = (name: string, options: Partial<BuildOptions> = {}) => inspectModel(name, options).params.trainable;
const count = (list: string[], value: string) => list.filter((v) => v === value).length;

describe('switches', () => {
  it('every ImageNet family has smallInput, widthMultiplier, activation, batchNorm, dropout and head', () => {
    for (const meta of listModels()) {
      const switches = Object.keys(meta.switches ?? {});
      expect(switches, meta.name).toEqual(expect.arrayContaining(['activation', 'batchNorm', 'dropout', 'widthMultiplier', 'head', 'training']));
      if (meta.defaultInput[0] >= 224) expect(switches, meta.name).toContain('smallInput');
    }
  });

  it('activation swaps every nonlinearity, batchNorm removes the BN layers and gives convolutions a bias', () => {
    expect(count(types('resnet20', { activation: 'leaky_relu' }), 'LeakyReLU')).toBe(19);
    expect(names('resnet20', { activation: 'elu' })).toContain('conv1_elu');
    const noBn = inspectModel('resnet20', { batchNorm: false });
    expect(noBn.layers.some((l) => l.type === 'BatchNormalization')).toBe(false);
    const conv1 = noBn.layers.find((l) => l.name === 'conv1_conv')!;
    expect(conv1.params).toBe(3 * 3 * 3 * 16 + 16);
    expect(params('vgg16_bn') - params('vgg16')).toBe(2 * (2 * 64 + 2 * 128 + 3 * 256 + 6 * 512));
  });

  it('se adds timm-sized squeeze-excitation to any ResNet; cardinality and baseWidth make a ResNeXt', () => {
    expect(params('resnet50', { se: true })).toBe(params('seresnet50'));
    expect(params('resnext50_32x4d', { se: true })).toBe(params('seresnext50_32x4d'));
    expect(params('resnet50', { cardinality: 32, baseWidth: 4 })).toBe(params('resnext50_32x4d'));
    expect(types('resnet18', { se: true })).toContain('Multiply');
    expect(params('resnet50', { se: true, seReduction: 8 })).toBeGreaterThan(params('seresnet50'));
  });

  it('residual off gives the plain network: no additions, the same parameters (shortcut A) or fewer (no projections)', () => {
    expect(types('resnet56', { residual: false })).not.toContain('Add');
    expect(count(types('resnet56'), 'Add')).toBe(27);
    expect(params('resnet56', { residual: false })).toBe(params('resnet56'));
    expect(params('resnet18', { residual: false })).toBeLessThan(params('resnet18'));
  });

  it('widthMultiplier scales widths; head switches between global pooling and flatten', () => {
    expect(inspectModel('resnet20', { widthMultiplier: 0.5 }).layers.find((l) => l.name === 'conv4_block3_out')!.outputShape).toEqual([8, 8, 32]);
    expect(types('resnet50', { head: 'flatten' })).toContain('Flatten');
    expect(types('vgg16', { head: 'gap' })).toContain('GlobalAveragePooling2D');
    expect(inspectModel('vgg16', { head: 'gap' }).layers.find((l) => l.name === 'fc1')!.params).toBe(512 * 4096 + 4096);
  });

  it('dropout adds or removes dropout layers; densenet growthRate and compression', () => {
    expect(types('vgg16')).toContain('Dropout');
    expect(types('vgg16', { dropout: 0 })).not.toContain('Dropout');
    expect(count(types('densenet121', { dropout: 0.2 }), 'Dropout')).toBe(58);
    expect(layerShape('densenet121', { growthRate: 12 }, 'conv2_block6_concat')).toEqual([56, 56, 64 + 6 * 12]);
    expect(layerShape('densenet121', { compression: 0.25 }, 'pool2_conv')).toEqual([56, 56, 64]);
  });

  it('lrn and groups bring back the AlexNet paper', () => {
    expect(count(types('alexnet', { lrn: true }), 'LocalResponseNormalization')).toBe(2);
    expect(count(types('alexnet', { groups: 2 }), 'GroupedConv2D')).toBe(3);
    expect(params('alexnet') - params('alexnet', { groups: 2 })).toBe((5 * 5 * 64 * 192 + 3 * 3 * 384 * 256 + 3 * 3 * 256 * 256) / 2);
  });

  it('aux heads exist only with auxHeads in training mode, weighted as the papers', () => {
    expect(getModelMeta('googlenet')!.auxOutputs).toEqual({ count: 2, defaultWeight: 0.3 });
    expect(getModelMeta('inception_v3')!.auxOutputs).toEqual({ count: 1, defaultWeight: 0.4 });
    expect(names('googlenet')).not.toContain('aux1_logits');
    expect(names('googlenet', { training: true })).toEqual(expect.arrayContaining(['aux1_logits', 'aux2_logits']));
    expect(names('googlenet', { training: true, auxHeads: false })).not.toContain('aux1_logits');
    expect(names('inception_v3', { training: true })).toContain('aux_logits');
  });
});

function layerShape(name: string, options: Partial<BuildOptions>, layerName: string): number[] {
  return inspectModel(name, options).layers.find((l) => l.name === layerName)!.outputShape;
}

/**
 * DenseNet: Huang, Liu, van der Maaten & Weinberger, "Densely Connected Convolutional
 * Networks", CVPR 2017. ImageNet variants as torchvision's `densenet.py` (DenseNet-BC:
 * bottleneck layers of 4·k channels, compression 0.5) and the paper's CIFAR DenseNet-BC
 * (L = 100, k = 12: a 3×3 stem of 2k filters, three blocks of 16 layers).
 *
 * Every layer is pre-activation (BN → activation → conv) and its k new feature maps are
 * concatenated to everything before it. Layer names follow Keras applications:
 * `conv1_conv`, `pool1`, `conv2_block3_0_bn`, `conv2_block3_0_relu`, `conv2_block3_1_conv`,
 * `conv2_block3_1_bn`, `conv2_block3_2_conv`, `conv2_block3_concat`, `pool2_conv`, `pool2_pool`, `bn`.
 */
import { activation, avgPool, batchNorm, channelsOf, concat, conv2d, dropout, maxPool, type Activation, type Tensor } from './layers/graph';
import { convBnAct } from './layers/conv-bn-act';
import { classifier } from './layers/head';
import { registerNetwork, type NetworkOutputs } from './network';
import { commonSwitchSpecs, scaleWidth, type CheckedOptions, type CommonSwitches, type SwitchSpecs } from './options';

export interface DenseNetSwitches extends CommonSwitches {
  growthRate: number;
  compression: number;
}

export interface DenseNetVariant {
  growthRate: number;
  /** Layers per dense block. */
  blocks: number[];
  initFeatures: number;
  /** 'cifar': a bare 3×3 convolution; 'imagenet': 7×7/2 convolution, BN, activation, 3×3/2 max-pool. */
  stem: 'cifar' | 'imagenet';
}

interface LayerOptions {
  growthRate: number;
  batchNorm: boolean;
  activation: Activation;
  dropRate: number;
}

/** Width of the 1×1 bottleneck in units of the growth rate (torchvision's bn_size). */
const BOTTLENECK_SIZE = 4;

// ---- blocks ----------------------------------------------------------------------------------

/** BN → activation (the pre-activation of DenseNet's layers), named `<name>_bn`, `<name>_<activation>`. */
function bnAct(x: Tensor, options: { batchNorm: boolean; activation: Activation }, name: string): Tensor {
  const y = options.batchNorm ? batchNorm(x, {}, `${name}_bn`) : x;
  return activation(y, options.activation, `${name}_${options.activation}`);
}

/** BN-act-conv1×1(4k) → BN-act-conv3×3(k) → dropout, concatenated to the input. */
export function denseLayer(x: Tensor, options: LayerOptions, name: string): Tensor {
  const useBias = !options.batchNorm;
  let y = bnAct(x, options, `${name}_0`);
  y = convBnAct(y, { ...options, filters: BOTTLENECK_SIZE * options.growthRate, kernelSize: 1, useBias }, `${name}_1`);
  y = conv2d(y, { filters: options.growthRate, kernelSize: 3, padding: 1, useBias }, `${name}_2_conv`);
  y = dropout(y, options.dropRate, `${name}_2_dropout`);
  return concat([x, y], `${name}_concat`);
}

/** BN-act-conv1×1 down to ⌊compression·C⌋ channels, then a 2×2/2 average pool. */
export function transition(x: Tensor, compression: number, options: LayerOptions, name: string): Tensor {
  let y = bnAct(x, options, name);
  y = conv2d(y, { filters: Math.max(1, Math.floor(channelsOf(x) * compression)), kernelSize: 1, useBias: !options.batchNorm }, `${name}_conv`);
  return avgPool(y, { poolSize: 2, strides: 2 }, `${name}_pool`);
}

// ---- stage helper ----------------------------------------------------------------------------

function denseBlock(x: Tensor, layers: number, options: LayerOptions, name: string): Tensor {
  let y = x;
  for (let i = 1; i <= layers; i++) y = denseLayer(y, options, `${name}_block${i}`);
  return y;
}

// ---- family builder --------------------------------------------------------------------------

function defineDenseNet(variant: DenseNetVariant) {
  return (x: Tensor, { classes, switches: s }: CheckedOptions<DenseNetSwitches>): NetworkOutputs => {
    const growthRate = scaleWidth(s.growthRate, s.widthMultiplier);
    const initFeatures = variant.stem === 'cifar' ? 2 * growthRate : scaleWidth(variant.initFeatures, s.widthMultiplier);
    const layerOptions: LayerOptions = { growthRate, batchNorm: s.batchNorm, activation: s.activation, dropRate: s.dropout };

    let y: Tensor;
    if (variant.stem === 'cifar') {
      y = conv2d(x, { filters: initFeatures, kernelSize: 3, padding: 1, useBias: false }, 'conv1_conv');
    } else if (s.smallInput) {
      y = convBnAct(x, { filters: initFeatures, kernelSize: 3, padding: 1, batchNorm: s.batchNorm, activation: s.activation }, 'conv1');
    } else {
      y = convBnAct(x, { filters: initFeatures, kernelSize: 7, strides: 2, padding: 3, batchNorm: s.batchNorm, activation: s.activation }, 'conv1');
      y = maxPool(y, { poolSize: 3, strides: 2, padding: 1 }, 'pool1');
    }
    // densenet121 at 224×224: stem N×56×56×64; block 2 N×56×56×256 → pool2 N×28×28×128;
    // block 3 N×28×28×512 → pool3 N×14×14×256; block 4 N×14×14×1024 → pool4 N×7×7×512;
    // block 5 N×7×7×1024. DenseNet-BC-100 at 32×32: N×32×32×24 → 32×32×216 → 16×16×108 →
    // 16×16×300 → 8×8×150 → 8×8×342.
    variant.blocks.forEach((layers, i) => {
      const stage = i + 2;
      y = denseBlock(y, layers, layerOptions, `conv${stage}`);
      if (i < variant.blocks.length - 1) y = transition(y, s.compression, layerOptions, `pool${stage}`);
    });
    y = s.batchNorm ? batchNorm(y, {}, 'bn') : y;
    y = activation(y, s.activation, s.activation);
    return { logits: classifier(y, { head: s.head, dropout: 0, classes }) };
  };
}

function switchSpecs(variant: DenseNetVariant): SwitchSpecs {
  const specs: SwitchSpecs = {
    ...commonSwitchSpecs(),
    growthRate: { kind: 'integer', min: 1, max: 256, default: variant.growthRate, description: 'k: feature maps each layer adds.' },
    compression: { kind: 'number', min: 0, max: 1, minExclusive: true, default: 0.5, description: 'θ: the fraction of channels a transition keeps.' },
  };
  specs.dropout = { ...specs.dropout, description: 'Dropout after every 3×3 convolution (the paper\'s 0.2 without augmentation; 0 = none).' };
  if (variant.stem === 'cifar') delete specs.smallInput;
  return specs;
}

// ---- variants --------------------------------------------------------------------------------

export const DENSENET_VARIANTS = {
  densenet121: { growthRate: 32, blocks: [6, 12, 24, 16], initFeatures: 64, stem: 'imagenet' },
  densenet161: { growthRate: 48, blocks: [6, 12, 36, 24], initFeatures: 96, stem: 'imagenet' },
  densenet169: { growthRate: 32, blocks: [6, 12, 32, 32], initFeatures: 64, stem: 'imagenet' },
  densenet201: { growthRate: 32, blocks: [6, 12, 48, 32], initFeatures: 64, stem: 'imagenet' },
  densenet_bc_100_k12: { growthRate: 12, blocks: [16, 16, 16], initFeatures: 24, stem: 'cifar' },
} satisfies Record<string, DenseNetVariant>;

// ---- registrations ---------------------------------------------------------------------------

function register(name: keyof typeof DENSENET_VARIANTS): void {
  const variant: DenseNetVariant = DENSENET_VARIANTS[name];
  const cifar = variant.stem === 'cifar';
  registerNetwork<DenseNetSwitches>(name, {
    meta: {
      family: 'DenseNet',
      description: cifar
        ? 'Each layer sees the feature maps of all layers before it; DenseNet-BC (L=100, k=12) sized for 32×32 images.'
        : 'Each layer sees the feature maps of all layers before it: strong features from few parameters.',
      paper: 'Huang et al., "Densely Connected Convolutional Networks", CVPR 2017',
      defaultInput: cifar ? [32, 32, 3] : [224, 224, 3],
      defaultClasses: cifar ? 10 : 1000,
    },
    switches: switchSpecs(variant),
    define: defineDenseNet(variant),
  });
}

register('densenet121');
register('densenet161');
register('densenet169');
register('densenet201');
register('densenet_bc_100_k12');

/**
 * ResNet, ResNeXt and SE-ResNet(X)t: one family, as timm builds them from one class.
 *
 * - He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016:
 *   ImageNet variants (resnet18…152, torchvision layout, stride on the 3×3 convolution as
 *   in "ResNet v1.5", projection shortcuts B) and the CIFAR variants of §4.2 (resnet20…110:
 *   3×3 stem of 16 filters, stages of 16/32/64, identity shortcuts A = strided subsample and
 *   zero-padded channels).
 * - Xie, Girshick, Dollár, Tu, He, "Aggregated Residual Transformations for Deep Neural
 *   Networks", CVPR 2017: `cardinality` groups in the bottleneck's 3×3 convolution, each
 *   `baseWidth` channels wide at the first stage.
 * - Hu, Shen, Sun, "Squeeze-and-Excitation Networks", CVPR 2018: `se` adds a squeeze-excitation
 *   module before the residual addition (timm's `attn_layer='se'`).
 *
 * Layer names follow Keras applications: `conv1_conv`, `pool1_pool`, `conv3_block2_1_conv`,
 * `conv3_block2_se_reduce`, `conv3_block1_0_conv` (shortcut), `conv3_block2_add`, `conv3_block2_out`.
 */
import { activation, add, channelPad, channelsOf, maxPool, type Activation, type Tensor } from './layers/graph';
import { convBnAct } from './layers/conv-bn-act';
import { classifier } from './layers/head';
import { squeezeExcitation } from './layers/squeeze-excitation';
import { registerNetwork, type NetworkOutputs } from './network';
import { commonSwitchSpecs, scaleWidth, type CheckedOptions, type CommonSwitches, type SwitchSpecs } from './options';

export interface ResNetSwitches extends CommonSwitches {
  /** Off: the same blocks without their shortcuts, the paper's "plain" networks (§4.1, Figure 6). */
  residual: boolean;
  se: boolean;
  seReduction: number;
  /** Bottleneck variants only. */
  cardinality: number;
  baseWidth: number;
}

export interface ResNetVariant {
  block: 'basic' | 'bottleneck';
  /** Blocks per stage. */
  layers: number[];
  /** 'cifar': 3×3 stem, widths 16/32/64, shortcut A. 'imagenet': 7×7 stem + max-pool, widths 64…512, shortcut B. */
  stem: 'cifar' | 'imagenet';
  cardinality?: number;
  baseWidth?: number;
  se?: boolean;
}

interface BlockOptions {
  planes: number;
  strides: number;
  shortcut: 'A' | 'B';
  batchNorm: boolean;
  activation: Activation;
  /** Reduction ratio of the squeeze-excitation module, or null for none. */
  seReduction: number | null;
  cardinality: number;
  baseWidth: number;
  residual: boolean;
}

const BOTTLENECK_EXPANSION = 4;

// ---- blocks ----------------------------------------------------------------------------------

/** Identity when the shape is kept; otherwise option A (subsample + zero channels) or B (1×1 projection). */
function shortcut(x: Tensor, outChannels: number, options: BlockOptions, name: string): Tensor {
  const inChannels = channelsOf(x);
  if (options.strides === 1 && inChannels === outChannels) return x;
  if (options.shortcut === 'B') {
    return convBnAct(x, {
      filters: outChannels, kernelSize: 1, strides: options.strides, batchNorm: options.batchNorm, activation: null,
    }, `${name}_0`);
  }
  // A pool of size 1 with stride 2 is exactly x[:, ::2, ::2, :].
  const subsampled = options.strides > 1 ? maxPool(x, { poolSize: 1, strides: options.strides }, `${name}_0_pool`) : x;
  const extra = outChannels - inChannels;
  return extra > 0 ? channelPad(subsampled, Math.floor(extra / 2), extra - Math.floor(extra / 2), `${name}_0_pad`) : subsampled;
}

function finishBlock(x: Tensor, residual: Tensor, options: BlockOptions, name: string): Tensor {
  let y = residual;
  if (options.seReduction !== null) {
    y = squeezeExcitation(y, { reduction: options.seReduction, activation: options.activation }, `${name}_se`);
  }
  if (options.residual) y = add([shortcut(x, channelsOf(y), options, name), y], `${name}_add`);
  return activation(y, options.activation, `${name}_out`);
}

/** Two 3×3 convolutions (ResNet-18/34 and the CIFAR ResNets). */
export function basicBlock(x: Tensor, options: BlockOptions, name: string): Tensor {
  const common = { batchNorm: options.batchNorm, kernelSize: 3, padding: 1, filters: options.planes };
  let y = convBnAct(x, { ...common, strides: options.strides, activation: options.activation }, `${name}_1`);
  y = convBnAct(y, { ...common, activation: null }, `${name}_2`);
  return finishBlock(x, y, options, name);
}

/** 1×1 reduce → 3×3 (grouped for ResNeXt, carries the stride) → 1×1 expand ×4. */
export function bottleneckBlock(x: Tensor, options: BlockOptions, name: string): Tensor {
  const width = Math.max(1, Math.floor((options.planes * options.baseWidth) / 64)) * options.cardinality;
  const common = { batchNorm: options.batchNorm };
  let y = convBnAct(x, { ...common, filters: width, kernelSize: 1, activation: options.activation }, `${name}_1`);
  y = convBnAct(y, {
    ...common, filters: width, kernelSize: 3, padding: 1, strides: options.strides, groups: options.cardinality, activation: options.activation,
  }, `${name}_2`);
  y = convBnAct(y, { ...common, filters: options.planes * BOTTLENECK_EXPANSION, kernelSize: 1, activation: null }, `${name}_3`);
  return finishBlock(x, y, options, name);
}

// ---- stage helper ----------------------------------------------------------------------------

/** `blocks` blocks named `<name>_block1…`; the first one carries the stride. */
function stage(x: Tensor, blocks: number, block: typeof basicBlock, options: BlockOptions, name: string): Tensor {
  let y = x;
  for (let i = 1; i <= blocks; i++) y = block(y, { ...options, strides: i === 1 ? options.strides : 1 }, `${name}_block${i}`);
  return y;
}

// ---- family builder --------------------------------------------------------------------------

function defineResNet(variant: ResNetVariant) {
  return (x: Tensor, { classes, switches: s }: CheckedOptions<ResNetSwitches>): NetworkOutputs => {
    const cifar = variant.stem === 'cifar';
    const widths = (cifar ? [16, 32, 64] : [64, 128, 256, 512]).map((w) => scaleWidth(w, s.widthMultiplier));
    const block = variant.block === 'basic' ? basicBlock : bottleneckBlock;
    const stemOptions = { batchNorm: s.batchNorm, activation: s.activation };

    let y: Tensor;
    if (cifar || s.smallInput) {
      y = convBnAct(x, { ...stemOptions, filters: widths[0], kernelSize: 3, padding: 1 }, 'conv1');
    } else {
      y = convBnAct(x, { ...stemOptions, filters: widths[0], kernelSize: 7, strides: 2, padding: 3 }, 'conv1');
      y = maxPool(y, { poolSize: 3, strides: 2, padding: 1 }, 'pool1_pool');
    }
    // Stem out: N×56×56×64 at 224×224 (ImageNet); N×32×32×16 at 32×32 (CIFAR, or smallInput).
    // Stage outputs at 224×224, bottleneck (basic blocks have ¼ of the channels):
    //   conv2 N×56×56×256, conv3 N×28×28×512, conv4 N×14×14×1024, conv5 N×7×7×2048.
    // CIFAR at 32×32: conv2 N×32×32×16, conv3 N×16×16×32, conv4 N×8×8×64.
    variant.layers.forEach((blocks, i) => {
      y = stage(y, blocks, block, {
        planes: widths[i],
        strides: i === 0 ? 1 : 2,
        shortcut: cifar ? 'A' : 'B',
        batchNorm: s.batchNorm,
        activation: s.activation,
        seReduction: s.se ? s.seReduction : null,
        cardinality: s.cardinality,
        baseWidth: s.baseWidth,
        residual: s.residual,
      }, `conv${i + 2}`);
    });
    return { logits: classifier(y, { head: s.head, dropout: s.dropout, classes }) };
  };
}

function switchSpecs(variant: ResNetVariant): SwitchSpecs {
  const specs: SwitchSpecs = {
    ...commonSwitchSpecs(),
    residual: {
      kind: 'boolean', default: true, description: 'Shortcut connections; off gives the plain network of the same depth (He et al. §4.1).',
    },
    se: { kind: 'boolean', default: variant.se ?? false, description: 'Squeeze-and-excitation in every block (SENet).' },
    seReduction: { kind: 'integer', min: 1, max: 256, default: 16, description: 'SE reduction ratio r (channels C → C/r).' },
  };
  if (variant.stem === 'cifar') delete specs.smallInput;
  if (variant.block === 'bottleneck') {
    specs.cardinality = {
      kind: 'integer', min: 1, max: 256, default: variant.cardinality ?? 1, description: 'Groups of the 3×3 convolution (ResNeXt).',
    };
    specs.baseWidth = {
      kind: 'integer', min: 1, max: 1024, default: variant.baseWidth ?? 64, description: 'Channels per group at the first stage (ResNeXt).',
    };
  }
  return specs;
}

// ---- variants --------------------------------------------------------------------------------

const cifarResNet = (n: number): ResNetVariant => ({ block: 'basic', layers: [n, n, n], stem: 'cifar' });

export const RESNET_VARIANTS = {
  resnet20: cifarResNet(3),
  resnet32: cifarResNet(5),
  resnet44: cifarResNet(7),
  resnet56: cifarResNet(9),
  resnet110: cifarResNet(18),
  resnet18: { block: 'basic', layers: [2, 2, 2, 2], stem: 'imagenet' },
  resnet34: { block: 'basic', layers: [3, 4, 6, 3], stem: 'imagenet' },
  resnet50: { block: 'bottleneck', layers: [3, 4, 6, 3], stem: 'imagenet' },
  resnet101: { block: 'bottleneck', layers: [3, 4, 23, 3], stem: 'imagenet' },
  resnet152: { block: 'bottleneck', layers: [3, 8, 36, 3], stem: 'imagenet' },
  resnext50_32x4d: { block: 'bottleneck', layers: [3, 4, 6, 3], stem: 'imagenet', cardinality: 32, baseWidth: 4 },
  resnext101_32x8d: { block: 'bottleneck', layers: [3, 4, 23, 3], stem: 'imagenet', cardinality: 32, baseWidth: 8 },
  seresnet50: { block: 'bottleneck', layers: [3, 4, 6, 3], stem: 'imagenet', se: true },
  seresnext50_32x4d: { block: 'bottleneck', layers: [3, 4, 6, 3], stem: 'imagenet', cardinality: 32, baseWidth: 4, se: true },
} satisfies Record<string, ResNetVariant>;

const PAPERS = {
  ResNet: 'He et al., "Deep Residual Learning for Image Recognition", CVPR 2016',
  ResNeXt: 'Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017',
  SENet: 'Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018',
};

function describeVariant(name: string, variant: ResNetVariant): { family: keyof typeof PAPERS; description: string } {
  if (variant.se) {
    return { family: 'SENet', description: 'Each residual block learns to re-weight its own channels from a global summary of the image.' };
  }
  if ((variant.cardinality ?? 1) > 1) {
    return { family: 'ResNeXt', description: 'Residual blocks split into many parallel narrow paths (cardinality): more accuracy for the same cost.' };
  }
  const depth = name.slice('resnet'.length);
  const where = variant.stem === 'cifar' ? ` sized for 32×32 images (${depth} layers, ${variant.layers[0]} blocks per stage)` : '';
  return { family: 'ResNet', description: `Identity shortcuts let very deep networks train: each block learns only a residual${where}.` };
}

// ---- registrations ---------------------------------------------------------------------------

function register(name: keyof typeof RESNET_VARIANTS): void {
  const variant: ResNetVariant = RESNET_VARIANTS[name];
  const { family, description } = describeVariant(name, variant);
  const cifar = variant.stem === 'cifar';
  registerNetwork<ResNetSwitches>(name, {
    meta: {
      family,
      description,
      paper: PAPERS[family],
      defaultInput: cifar ? [32, 32, 3] : [224, 224, 3],
      defaultClasses: cifar ? 10 : 1000,
    },
    switches: switchSpecs(variant),
    define: defineResNet(variant),
  });
}

register('resnet20');
register('resnet32');
register('resnet44');
register('resnet56');
register('resnet110');
register('resnet18');
register('resnet34');
register('resnet50');
register('resnet101');
register('resnet152');
register('resnext50_32x4d');
register('resnext101_32x8d');
register('seresnet50');
register('seresnext50_32x4d');

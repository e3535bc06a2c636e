/**
 * VGG: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
 * Recognition", ICLR 2015. Configurations A, B, D, E of the paper's Table 1 (vgg11, vgg13,
 * vgg16, vgg19) and their batch-norm twins (`_bn`), laid out as torchvision's `vgg.py`:
 * 3×3 convolutions with bias, 2×2 max-pools, then 4096-4096 fully connected layers with
 * dropout on the flattened 7×7×512 map (25,088 inputs at 224×224).
 *
 * Layer names follow Keras applications: `block3_conv2_conv` (`_bn`, `_relu`), `block3_pool`,
 * `flatten`, `fc1`, `fc1_relu`, `fc1_dropout`, `fc2`, …, `logits`.
 */
import { activation, dense, dropout, maxPool, type Tensor } from './layers/graph';
import { convBnAct } from './layers/conv-bn-act';
import { pooledFeatures } from './layers/head';
import { registerNetwork, type NetworkOutputs } from './network';
import { commonSwitchSpecs, scaleWidth, type CheckedOptions, type CommonSwitches, type SwitchSpecs } from './options';

export type VggSwitches = CommonSwitches;

/** Convolution widths of each block (a max-pool closes every block). */
export interface VggVariant {
  blocks: number[][];
  batchNorm: boolean;
}

// ---- blocks ----------------------------------------------------------------------------------

/** `widths.length` 3×3 convolutions, then a 2×2 max-pool (skipped for block 1 with smallInput). */
export function vggBlock(x: Tensor, widths: number[], options: { switches: VggSwitches; pool: boolean }, name: string): Tensor {
  let y = x;
  const { switches: s } = options;
  widths.forEach((width, i) => {
    y = convBnAct(y, {
      filters: scaleWidth(width, s.widthMultiplier), kernelSize: 3, padding: 1, useBias: true, batchNorm: s.batchNorm, activation: s.activation,
    }, `${name}_conv${i + 1}`);
  });
  return options.pool ? maxPool(y, { poolSize: 2, strides: 2 }, `${name}_pool`) : y;
}

/** fc → activation → dropout, twice, then the logits (torchvision's classifier). */
export function fullyConnectedHead(x: Tensor, hidden: number[], switches: VggSwitches, classes: number): Tensor {
  let y = pooledFeatures(x, switches.head);
  hidden.forEach((units, i) => {
    const name = `fc${i + 1}`;
    y = dense(y, scaleWidth(units, switches.widthMultiplier), name);
    y = activation(y, switches.activation, `${name}_${switches.activation}`);
    y = dropout(y, switches.dropout, `${name}_dropout`);
  });
  return dense(y, classes, 'logits');
}

// ---- family builder --------------------------------------------------------------------------

function defineVgg(variant: VggVariant) {
  return (x: Tensor, { classes, switches: s }: CheckedOptions<VggSwitches>): NetworkOutputs => {
    // At 224×224: block1 N×112×112×64, block2 N×56×56×128, block3 N×28×28×256,
    // block4 N×14×14×512, block5 N×7×7×512 (smallInput keeps block 1 at full size).
    let y = x;
    variant.blocks.forEach((widths, i) => {
      y = vggBlock(y, widths, { switches: s, pool: !(i === 0 && s.smallInput) }, `block${i + 1}`);
    });
    return { logits: fullyConnectedHead(y, [4096, 4096], s, classes) };
  };
}

function switchSpecs(variant: VggVariant): SwitchSpecs {
  const specs = commonSwitchSpecs({ batchNorm: variant.batchNorm, dropout: 0.5, head: 'flatten' });
  return {
    ...specs,
    smallInput: { ...specs.smallInput, description: 'For 32×32-class images: no max-pool after the first block (VGG\'s stem is already 3×3, stride 1).' },
  };
}

// ---- variants --------------------------------------------------------------------------------

const A = [[64], [128], [256, 256], [512, 512], [512, 512]];
const B = [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]];
const D = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];
const E = [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]];

export const VGG_VARIANTS = {
  vgg11: { blocks: A, batchNorm: false },
  vgg13: { blocks: B, batchNorm: false },
  vgg16: { blocks: D, batchNorm: false },
  vgg19: { blocks: E, batchNorm: false },
  vgg11_bn: { blocks: A, batchNorm: true },
  vgg13_bn: { blocks: B, batchNorm: true },
  vgg16_bn: { blocks: D, batchNorm: true },
  vgg19_bn: { blocks: E, batchNorm: true },
} satisfies Record<string, VggVariant>;

// ---- registrations ---------------------------------------------------------------------------

function register(name: keyof typeof VGG_VARIANTS): void {
  const variant: VggVariant = VGG_VARIANTS[name];
  const depth = variant.blocks.flat().length + 3;
  registerNetwork<VggSwitches>(name, {
    meta: {
      family: 'VGG',
      description: `Depth from stacking only 3×3 convolutions: ${depth} weight layers${variant.batchNorm ? ', with batch normalisation' : ''}.`,
      paper: 'Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015',
      defaultInput: [224, 224, 3],
      defaultClasses: 1000,
    },
    switches: switchSpecs(variant),
    define: defineVgg(variant),
  });
}

register('vgg11');
register('vgg13');
register('vgg16');
register('vgg19');
register('vgg11_bn');
register('vgg13_bn');
register('vgg16_bn');
register('vgg19_bn');

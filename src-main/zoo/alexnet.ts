/**
 * AlexNet: Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional
 * Neural Networks", NeurIPS 2012; laid out as torchvision's `alexnet.py` (the single-tower
 * 64-192-384-256-256 variant of Krizhevsky's "One weird trick", 2014), so the parameter count
 * is torchvision's 61,100,840. Switches bring back the paper: `lrn` (local response
 * normalisation after conv1 and conv2) and `groups` (the two-GPU split of conv2, conv4, conv5).
 *
 * Layer names: `conv1_conv` (`_bn`, `_relu`, `_lrn`), `pool1`, …, `flatten`, `fc1_dropout`,
 * `fc1`, `fc1_relu`, `fc2_dropout`, `fc2`, `fc2_relu`, `logits`.
 */
import { activation, dense, dropout, lrn, maxPool, type Tensor } from './layers/graph';
import { convBnAct } from './layers/conv-bn-act';
import { pooledFeatures } from './layers/head';
import { ALEXNET_LRN } from './layers/lrn';
import { registerNetwork, type NetworkOutputs } from './network';
import { commonSwitchSpecs, ModelOptionError, scaleWidth, type CheckedOptions, type CommonSwitches } from './options';

export interface AlexNetSwitches extends CommonSwitches {
  lrn: boolean;
  groups: number;
}

interface ConvSpec {
  filters: number;
  kernelSize: number;
  strides: number;
  padding: number;
  /** The paper splits these layers over two GPUs. */
  grouped: boolean;
  lrn: boolean;
  pool: boolean;
}

// ---- blocks ----------------------------------------------------------------------------------

/** Convolution → (batch norm) → activation → (LRN) → (3×3/2 max-pool). */
export function alexConv(x: Tensor, spec: ConvSpec, s: AlexNetSwitches, index: number): Tensor {
  const name = `conv${index}`;
  let y = convBnAct(x, {
    filters: scaleWidth(spec.filters, s.widthMultiplier, spec.grouped ? s.groups : 1),
    kernelSize: spec.kernelSize,
    strides: spec.strides,
    padding: spec.padding,
    groups: spec.grouped ? s.groups : 1,
    useBias: true,
    batchNorm: s.batchNorm,
    activation: s.activation,
  }, name);
  if (spec.lrn && s.lrn) y = lrn(y, ALEXNET_LRN, `${name}_lrn`);
  return spec.pool ? maxPool(y, { poolSize: 3, strides: 2 }, `pool${index}`) : y;
}

// ---- family builder --------------------------------------------------------------------------

const FEATURES: ConvSpec[] = [
  { filters: 64, kernelSize: 11, strides: 4, padding: 2, grouped: false, lrn: true, pool: true },
  { filters: 192, kernelSize: 5, strides: 1, padding: 2, grouped: true, lrn: true, pool: true },
  { filters: 384, kernelSize: 3, strides: 1, padding: 1, grouped: false, lrn: false, pool: false },
  { filters: 256, kernelSize: 3, strides: 1, padding: 1, grouped: true, lrn: false, pool: false },
  { filters: 256, kernelSize: 3, strides: 1, padding: 1, grouped: true, lrn: false, pool: true },
];

function defineAlexNet(x: Tensor, { classes, switches: s }: CheckedOptions<AlexNetSwitches>): NetworkOutputs {
  if (FEATURES.some((spec) => spec.grouped && scaleWidth(spec.filters, s.widthMultiplier, s.groups) % s.groups !== 0)) {
    throw new ModelOptionError('groups', `alexnet: groups must divide the layer widths; got ${s.groups}`);
  }
  const features = s.smallInput
    ? [{ ...FEATURES[0], kernelSize: 3, strides: 1, padding: 1, pool: false }, ...FEATURES.slice(1)]
    : FEATURES;
  // At 224×224: conv1 N×55×55×64 → pool1 N×27×27×64, conv2 → pool2 N×13×13×192,
  // conv3-5 N×13×13×(384, 256, 256) → pool5 N×6×6×256.
  let y = x;
  features.forEach((spec, i) => {
    y = alexConv(y, spec, s, i + 1);
  });
  y = pooledFeatures(y, s.head);
  // torchvision puts dropout before each hidden fully connected layer.
  for (const name of ['fc1', 'fc2']) {
    y = dropout(y, s.dropout, `${name}_dropout`);
    y = dense(y, scaleWidth(4096, s.widthMultiplier), name);
    y = activation(y, s.activation, `${name}_${s.activation}`);
  }
  return { logits: dense(y, classes, 'logits') };
}

// ---- registrations ---------------------------------------------------------------------------

registerNetwork<AlexNetSwitches>('alexnet', {
  meta: {
    family: 'AlexNet',
    description: 'The network that started deep learning for vision: ReLUs, dropout and data augmentation, trained on GPUs.',
    paper: 'Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural Networks", NeurIPS 2012',
    defaultInput: [224, 224, 3],
    defaultClasses: 1000,
  },
  switches: {
    ...commonSwitchSpecs({ batchNorm: false, dropout: 0.5, head: 'flatten' }),
    lrn: { kind: 'boolean', default: false, description: 'Local response normalisation after conv1 and conv2, as in the paper (k=2, n=5, α=1e-4, β=0.75).' },
    groups: { kind: 'integer', min: 1, max: 8, default: 1, description: 'Split conv2, conv4 and conv5 into groups (2 = the paper\'s two GPUs).' },
  },
  define: defineAlexNet,
});

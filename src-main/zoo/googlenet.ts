/**
 * GoogLeNet (Inception v1): Szegedy et al., "Going Deeper with Convolutions", CVPR 2015.
 * Laid out as torchvision's `googlenet.py` (batch norm after every convolution, eps 0.001),
 * except that the third branch of every Inception module is the paper's 5×5 convolution
 * (torchvision uses 3×3 there). Two auxiliary classifiers after inception4a and inception4d,
 * weighted 0.3 in the loss, exist only when built with `{ training: true, auxHeads: true }`.
 *
 * Layer names: `conv1_conv` (`_bn`, `_relu`), `pool1`, `inception3a_branch2_reduce_conv`,
 * `inception3a_branch2_conv`, `inception3a_branch4_pool`, `inception3a_concat`, `aux1_proj_conv`,
 * `aux1_fc1`, `aux1_logits`, `avg_pool`, `dropout`, `logits`.
 */
import { activation, adaptiveAvgPool, concat, dense, dropout, flatten, maxPool, type Tensor } from './layers/graph';
import { convBnAct } from './layers/conv-bn-act';
import { classifier } from './layers/head';
import { registerNetwork, type NetworkOutputs } from './network';
import { commonSwitchSpecs, scaleWidth, type CheckedOptions, type CommonSwitches } from './options';

export interface GoogLeNetSwitches extends CommonSwitches {
  auxHeads: boolean;
  auxWeight: number;
  auxDropout: number;
}

/** One row of the paper's Table 1. */
export interface InceptionWidths {
  ch1x1: number;
  ch3x3red: number;
  ch3x3: number;
  ch5x5red: number;
  ch5x5: number;
  poolProj: number;
}

const BN_EPSILON = 1e-3;

// ---- blocks ----------------------------------------------------------------------------------

function conv(x: Tensor, s: GoogLeNetSwitches, filters: number, kernelSize: number, name: string, strides = 1): Tensor {
  return convBnAct(x, {
    filters: scaleWidth(filters, s.widthMultiplier), kernelSize, strides, padding: (kernelSize - 1) / 2,
    batchNorm: s.batchNorm, activation: s.activation, bnEpsilon: BN_EPSILON,
  }, name);
}

/** Four parallel branches (1×1; 1×1→3×3; 1×1→5×5; 3×3 max-pool→1×1) concatenated. */
export function inceptionModule(x: Tensor, w: InceptionWidths, s: GoogLeNetSwitches, name: string): Tensor {
  const branch1 = conv(x, s, w.ch1x1, 1, `${name}_branch1`);
  const branch2 = conv(conv(x, s, w.ch3x3red, 1, `${name}_branch2_reduce`), s, w.ch3x3, 3, `${name}_branch2`);
  const branch3 = conv(conv(x, s, w.ch5x5red, 1, `${name}_branch3_reduce`), s, w.ch5x5, 5, `${name}_branch3`);
  const pooled = maxPool(x, { poolSize: 3, strides: 1, padding: 1 }, `${name}_branch4_pool`);
  const branch4 = conv(pooled, s, w.poolProj, 1, `${name}_branch4`);
  return concat([branch1, branch2, branch3, branch4], `${name}_concat`);
}

/** 4×4 average pool → 1×1 conv 128 → fc 1024 → dropout (0.7) → logits. */
export function auxClassifier(x: Tensor, s: GoogLeNetSwitches, classes: number, name: string): Tensor {
  let y = adaptiveAvgPool(x, 4, `${name}_pool`);
  y = conv(y, s, 128, 1, `${name}_proj`);
  y = flatten(y, `${name}_flatten`);
  y = dense(y, scaleWidth(1024, s.widthMultiplier), `${name}_fc1`);
  y = activation(y, s.activation, `${name}_fc1_${s.activation}`);
  y = dropout(y, s.auxDropout, `${name}_dropout`);
  return dense(y, classes, `${name}_logits`);
}

// ---- stage helper ----------------------------------------------------------------------------

const row = (ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number): InceptionWidths => ({
  ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj,
});

/** The paper's Table 1, stage by stage. */
const STAGES: Record<string, InceptionWidths>[] = [
  { inception3a: row(64, 96, 128, 16, 32, 32), inception3b: row(128, 128, 192, 32, 96, 64) },
  {
    inception4a: row(192, 96, 208, 16, 48, 64),
    inception4b: row(160, 112, 224, 24, 64, 64),
    inception4c: row(128, 128, 256, 24, 64, 64),
    inception4d: row(112, 144, 288, 32, 64, 64),
    inception4e: row(256, 160, 320, 32, 128, 128),
  },
  { inception5a: row(256, 160, 320, 32, 128, 128), inception5b: row(384, 192, 384, 48, 128, 128) },
];

/** The auxiliary classifiers read these modules' outputs. */
const AUX_TAPS: Record<string, string> = { inception4a: 'aux1', inception4d: 'aux2' };

function inceptionStage(x: Tensor, modules: Record<string, InceptionWidths>, s: GoogLeNetSwitches, classes: number, aux: Tensor[]): Tensor {
  let y = x;
  for (const [name, widths] of Object.entries(modules)) {
    y = inceptionModule(y, widths, s, name);
    if (AUX_TAPS[name] && s.auxHeads && s.training) aux.push(auxClassifier(y, s, classes, AUX_TAPS[name]));
  }
  return y;
}

// ---- family builder --------------------------------------------------------------------------

function defineGoogLeNet(x: Tensor, { classes, switches: s }: CheckedOptions<GoogLeNetSwitches>): NetworkOutputs {
  let y: Tensor;
  if (s.smallInput) {
    y = conv(x, s, 64, 3, 'conv1');
  } else {
    y = conv(x, s, 64, 7, 'conv1', 2);
    // torchvision's ceil-mode 3×3/2 pools give the 'same' sizes at 224×224.
    y = maxPool(y, { poolSize: 3, strides: 2, padding: 1 }, 'pool1');
  }
  y = conv(y, s, 64, 1, 'conv2');
  y = conv(y, s, 192, 3, 'conv3');
  if (!s.smallInput) y = maxPool(y, { poolSize: 3, strides: 2, padding: 1 }, 'pool2');
  // N×28×28×192 at 224×224 (N×32×32×192 at 32×32 with smallInput)
  const aux: Tensor[] = [];
  y = inceptionStage(y, STAGES[0], s, classes, aux);
  // N×28×28×480
  y = maxPool(y, { poolSize: 3, strides: 2, padding: 1 }, 'pool3');
  y = inceptionStage(y, STAGES[1], s, classes, aux);
  // N×14×14×832
  y = maxPool(y, { poolSize: 2, strides: 2 }, 'pool4');
  y = inceptionStage(y, STAGES[2], s, classes, aux);
  // N×7×7×1024
  return { logits: classifier(y, { head: s.head, dropout: s.dropout, classes }), aux, auxWeight: s.auxWeight };
}

// ---- registrations ---------------------------------------------------------------------------

registerNetwork<GoogLeNetSwitches>('googlenet', {
  meta: {
    family: 'GoogLeNet',
    description: 'Inception modules run 1×1, 3×3 and 5×5 convolutions side by side, with 1×1 reductions keeping it cheap.',
    paper: 'Szegedy et al., "Going Deeper with Convolutions", CVPR 2015',
    defaultInput: [224, 224, 3],
    defaultClasses: 1000,
    auxOutputs: { count: 2, defaultWeight: 0.3 },
  },
  switches: {
    ...commonSwitchSpecs({ dropout: 0.2 }),
    auxHeads: { kind: 'boolean', default: true, description: 'Two auxiliary classifiers (after inception4a and 4d) while training.' },
    auxWeight: { kind: 'number', min: 0, max: 1, default: 0.3, description: 'Loss weight of each auxiliary classifier.' },
    auxDropout: { kind: 'number', min: 0, max: 1, default: 0.7, description: 'Dropout rate inside the auxiliary classifiers.' },
  },
  define: defineGoogLeNet,
});

/**
 * Inception v3: Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, "Rethinking the Inception
 * Architecture for Computer Vision", CVPR 2016. Laid out as torchvision's `inception.py`:
 * factorised convolutions (5×5 as two 3×3, n×n as 1×n then n×1), grid reductions that pool
 * and convolve in parallel, batch norm (eps 0.001) after every convolution, 299×299 input,
 * and one auxiliary classifier after Mixed_6e, weighted 0.4 in the loss, present only when
 * built with `{ training: true, auxHeads: true }`.
 *
 * Layer names: `conv1a_conv` (`_bn`, `_relu`), `pool1`, `mixed5b_branch5x5_2_conv`,
 * `mixed5b_branch_pool_pool`, `mixed5b_concat`, `mixed7b_branch3x3_concat`, `aux_conv1_conv`,
 * `aux_logits`, `avg_pool`, `dropout`, `logits`.
 */
import { avgPool, concat, dense, maxPool, type Tensor } from './layers/graph';
import { convBnAct } from './layers/conv-bn-act';
import { classifier, pooledFeatures } from './layers/head';
import { registerNetwork, type NetworkOutputs } from './network';
import { commonSwitchSpecs, scaleWidth, type CheckedOptions, type CommonSwitches } from './options';

export interface InceptionV3Switches extends CommonSwitches {
  auxHeads: boolean;
  auxWeight: number;
}

type Pair = [number, number];
const BN_EPSILON = 1e-3;

// ---- blocks ----------------------------------------------------------------------------------

/** torchvision's BasicConv2d; `padding` defaults to 0 ('valid'), as there. */
function conv(x: Tensor, s: InceptionV3Switches, filters: number, kernelSize: number | Pair, name: string, options: { strides?: number; padding?: number | Pair } = {}): Tensor {
  return convBnAct(x, {
    filters: scaleWidth(filters, s.widthMultiplier), kernelSize, strides: options.strides ?? 1, padding: options.padding ?? 0,
    batchNorm: s.batchNorm, activation: s.activation, bnEpsilon: BN_EPSILON,
  }, name);
}

const pool3x3 = (x: Tensor, name: string): Tensor => avgPool(x, { poolSize: 3, strides: 1, padding: 1 }, name);

/** 35×35 module: 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | avg-pool→1×1 (InceptionA). */
export function inceptionA(x: Tensor, poolFeatures: number, s: InceptionV3Switches, name: string): Tensor {
  const b1 = conv(x, s, 64, 1, `${name}_branch1x1`);
  const b5 = conv(conv(x, s, 48, 1, `${name}_branch5x5_1`), s, 64, 5, `${name}_branch5x5_2`, { padding: 2 });
  let b3 = conv(x, s, 64, 1, `${name}_branch3x3dbl_1`);
  b3 = conv(b3, s, 96, 3, `${name}_branch3x3dbl_2`, { padding: 1 });
  b3 = conv(b3, s, 96, 3, `${name}_branch3x3dbl_3`, { padding: 1 });
  const bp = conv(pool3x3(x, `${name}_branch_pool_pool`), s, poolFeatures, 1, `${name}_branch_pool`);
  return concat([b1, b5, b3, bp], `${name}_concat`);
}

/** 35→17 grid reduction: 3×3/2 | 1×1→3×3→3×3/2 | max-pool/2 (InceptionB). */
export function inceptionB(x: Tensor, s: InceptionV3Switches, name: string): Tensor {
  const b3 = conv(x, s, 384, 3, `${name}_branch3x3`, { strides: 2 });
  let bd = conv(x, s, 64, 1, `${name}_branch3x3dbl_1`);
  bd = conv(bd, s, 96, 3, `${name}_branch3x3dbl_2`, { padding: 1 });
  bd = conv(bd, s, 96, 3, `${name}_branch3x3dbl_3`, { strides: 2 });
  const bp = maxPool(x, { poolSize: 3, strides: 2 }, `${name}_branch_pool`);
  return concat([b3, bd, bp], `${name}_concat`);
}

/** 17×17 module with 7×7 factorised into 1×7 and 7×1 (InceptionC). */
export function inceptionC(x: Tensor, channels7x7: number, s: InceptionV3Switches, name: string): Tensor {
  const c7 = channels7x7;
  const b1 = conv(x, s, 192, 1, `${name}_branch1x1`);
  let b7 = conv(x, s, c7, 1, `${name}_branch7x7_1`);
  b7 = conv(b7, s, c7, [1, 7], `${name}_branch7x7_2`, { padding: [0, 3] });
  b7 = conv(b7, s, 192, [7, 1], `${name}_branch7x7_3`, { padding: [3, 0] });
  let bd = conv(x, s, c7, 1, `${name}_branch7x7dbl_1`);
  bd = conv(bd, s, c7, [7, 1], `${name}_branch7x7dbl_2`, { padding: [3, 0] });
  bd = conv(bd, s, c7, [1, 7], `${name}_branch7x7dbl_3`, { padding: [0, 3] });
  bd = conv(bd, s, c7, [7, 1], `${name}_branch7x7dbl_4`, { padding: [3, 0] });
  bd = conv(bd, s, 192, [1, 7], `${name}_branch7x7dbl_5`, { padding: [0, 3] });
  const bp = conv(pool3x3(x, `${name}_branch_pool_pool`), s, 192, 1, `${name}_branch_pool`);
  return concat([b1, b7, bd, bp], `${name}_concat`);
}

/** 17→8 grid reduction (InceptionD). */
export function inceptionD(x: Tensor, s: InceptionV3Switches, name: string): Tensor {
  const b3 = conv(conv(x, s, 192, 1, `${name}_branch3x3_1`), s, 320, 3, `${name}_branch3x3_2`, { strides: 2 });
  let b7 = conv(x, s, 192, 1, `${name}_branch7x7x3_1`);
  b7 = conv(b7, s, 192, [1, 7], `${name}_branch7x7x3_2`, { padding: [0, 3] });
  b7 = conv(b7, s, 192, [7, 1], `${name}_branch7x7x3_3`, { padding: [3, 0] });
  b7 = conv(b7, s, 192, 3, `${name}_branch7x7x3_4`, { strides: 2 });
  const bp = maxPool(x, { poolSize: 3, strides: 2 }, `${name}_branch_pool`);
  return concat([b3, b7, bp], `${name}_concat`);
}

/** 8×8 module with expanded 1×3 / 3×1 branches (InceptionE). */
export function inceptionE(x: Tensor, s: InceptionV3Switches, name: string): Tensor {
  const b1 = conv(x, s, 320, 1, `${name}_branch1x1`);
  const split = (y: Tensor, prefix: string): Tensor => concat([
    conv(y, s, 384, [1, 3], `${prefix}a`, { padding: [0, 1] }),
    conv(y, s, 384, [3, 1], `${prefix}b`, { padding: [1, 0] }),
  ], `${prefix}_concat`);
  const b3 = split(conv(x, s, 384, 1, `${name}_branch3x3_1`), `${name}_branch3x3_2`);
  let bd = conv(x, s, 448, 1, `${name}_branch3x3dbl_1`);
  bd = conv(bd, s, 384, 3, `${name}_branch3x3dbl_2`, { padding: 1 });
  bd = split(bd, `${name}_branch3x3dbl_3`);
  const bp = conv(pool3x3(x, `${name}_branch_pool_pool`), s, 192, 1, `${name}_branch_pool`);
  return concat([b1, b3, bd, bp], `${name}_concat`);
}

/** 5×5/3 average pool → 1×1 conv 128 → 5×5 conv 768 → global pool → logits (InceptionAux). */
export function auxClassifier(x: Tensor, s: InceptionV3Switches, classes: number): Tensor {
  let y = avgPool(x, { poolSize: 5, strides: 3 }, 'aux_pool');
  y = conv(y, s, 128, 1, 'aux_conv0');
  // At 299×299 the 5×5 convolution sees exactly 5×5; smallInput pads it to keep small maps.
  y = conv(y, s, 768, 5, 'aux_conv1', { padding: s.smallInput ? 2 : 0 });
  return dense(pooledFeatures(y, 'gap', 'aux_'), classes, 'aux_logits');
}

// ---- family builder --------------------------------------------------------------------------

function defineInceptionV3(x: Tensor, { classes, switches: s }: CheckedOptions<InceptionV3Switches>): NetworkOutputs {
  // smallInput: stride-1, padded stem convolutions and no stem max-pools.
  const small = s.smallInput;
  let y = conv(x, s, 32, 3, 'conv1a', small ? { padding: 1 } : { strides: 2 });
  y = conv(y, s, 32, 3, 'conv2a', { padding: small ? 1 : 0 });
  y = conv(y, s, 64, 3, 'conv2b', { padding: 1 });
  if (!small) y = maxPool(y, { poolSize: 3, strides: 2 }, 'pool1');
  y = conv(y, s, 80, 1, 'conv3b');
  y = conv(y, s, 192, 3, 'conv4a', { padding: small ? 1 : 0 });
  if (!small) y = maxPool(y, { poolSize: 3, strides: 2 }, 'pool2');
  // N×35×35×192 at 299×299
  y = inceptionA(y, 32, s, 'mixed5b');
  y = inceptionA(y, 64, s, 'mixed5c');
  y = inceptionA(y, 64, s, 'mixed5d');
  // N×35×35×288
  y = inceptionB(y, s, 'mixed6a');
  // N×17×17×768
  y = inceptionC(y, 128, s, 'mixed6b');
  y = inceptionC(y, 160, s, 'mixed6c');
  y = inceptionC(y, 160, s, 'mixed6d');
  y = inceptionC(y, 192, s, 'mixed6e');
  // N×17×17×768
  const aux = s.auxHeads && s.training ? [auxClassifier(y, s, classes)] : [];
  y = inceptionD(y, s, 'mixed7a');
  // N×8×8×1280
  y = inceptionE(y, s, 'mixed7b');
  y = inceptionE(y, s, 'mixed7c');
  // N×8×8×2048
  return { logits: classifier(y, { head: s.head, dropout: s.dropout, classes }), aux, auxWeight: s.auxWeight };
}

// ---- registrations ---------------------------------------------------------------------------

registerNetwork<InceptionV3Switches>('inception_v3', {
  meta: {
    family: 'Inception',
    description: 'Inception with factorised convolutions (n×n as 1×n then n×1) and efficient grid reductions.',
    paper: 'Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016',
    defaultInput: [299, 299, 3],
    defaultClasses: 1000,
    auxOutputs: { count: 1, defaultWeight: 0.4 },
  },
  switches: {
    ...commonSwitchSpecs({ dropout: 0.5 }),
    auxHeads: { kind: 'boolean', default: true, description: 'The auxiliary classifier after Mixed_6e while training.' },
    auxWeight: { kind: 'number', min: 0, max: 1, default: 0.4, description: 'Loss weight of the auxiliary classifier.' },
  },
  define: defineInceptionV3,
});

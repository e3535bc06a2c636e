/**
 * Gradients of Conv2D for the wasm backend, built on its XNNPACK forward convolution.
 *
 * Filter gradient: dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pad, ow·s+kw−pad, ci] · dy[n,oh,ow,co].
 * Read with n as the contracted channel, that is a forward convolution of the batch-transposed input
 * x[h,w,ci,n] with the "filter" dy[oh,ow,n,co], dilated by the forward stride (see the kernel for
 * how ci rides along the width axis).
 *
 * Input gradient: dx is dy correlated with the flipped filter, channels swapped. With a stride s > 1,
 * dy would need s−1 zeros inserted between its pixels; instead each of the s×s output phases (rows
 * ih ≡ r, columns iw ≡ c mod s, after padding) gets its own stride-1 convolution with the taps of the
 * filter that reach it, so no multiply is spent on an inserted zero. The phases are then interleaved:
 * when their grids tile dx exactly (no padding before, sizes divisible by the stride: the stride-2
 * convolutions inside ResNets and VGGs), by two of the backend's transposes over the stacked phases;
 * otherwise (stems, 'valid' crops) by a typed-array loop that also drops the padding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dPadded, f32, free, runWasmKernel, transpose, type WasmBackend } from './heap';

type Shape4 = [number, number, number, number];

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: Shape4;
}

interface InputGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: Shape4;
}

function checkChannelsLast(kernel: string, dataFormat: string): void {
  if (tf.backend_util.convertConv2DDataFormat(dataFormat as 'NHWC' | 'NCHW') !== 'channelsLast') {
    throw new Error(`wasm ${kernel} supports dataFormat 'NHWC' only; got '${dataFormat}'`);
  }
}

export function conv2DBackpropFilter(args: {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WasmBackend;
  attrs: FilterGradAttrs;
}): tf.TensorInfo {
  const { backend, attrs } = args;
  const { x, dy } = args.inputs;
  checkChannelsLast('Conv2DBackpropFilter', attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');

  const { batchSize, inHeight, inWidth, inChannels, outChannels } = info;
  // x as one image of H × (W·Ci) pixels whose N channels are the batch: pixel (h, w·Ci + ci) holds
  // x[:, h, w, ci]. A 2-D transpose gives this layout; flattening W with Ci makes the output
  // pixels (kh, kw·Ci + ci), so the result comes out in HWIO order with no transpose back.
  const xFlat = { dataId: x.dataId, dtype: x.dtype, shape: [batchSize, inHeight * inWidth * inChannels] };
  const xByPixel = transpose(backend, xFlat, [1, 0]);
  xByPixel.shape = [1, inHeight, inWidth * inChannels, batchSize];
  const transposed = transpose(backend, dy, [1, 2, 0, 3]); // OH×OW×N×Co
  // The backend transposes a filter to output-channel-major and XNNPACK packs it, each reading Co rows
  // of OH·OW·N floats. When that row length is a multiple of 1024 floats (4 KiB: 32×32 maps at batch
  // 64) the rows fall on the same cache sets and both passes slow down several times; one zero tap row
  // and column breaks the alignment for 6–13% more multiplies, worth it on maps of 16×16 and more.
  const extra = (info.outHeight * info.outWidth * batchSize) % 1024 === 0 && Math.min(info.outHeight, info.outWidth) >= 16 ? 1 : 0;
  const dyAsFilter = extra ? runWasmKernel('PadV2', backend, { x: transposed }, { paddings: [[0, 1], [0, 1], [0, 0], [0, 0]], constantValue: 0 }) : transposed;
  if (extra) free(backend, transposed);
  // The padded input must hold exactly the window the forward pass read: output size = kernel size.
  const neededHeight = info.filterHeight + (info.outHeight - 1 + extra) * info.strideHeight;
  const neededWidth = info.filterWidth + (info.outWidth - 1 + extra) * info.strideWidth;
  const grad = conv2dPadded(
    backend, xByPixel, dyAsFilter, [1, 1], [info.strideHeight, info.strideWidth * inChannels], {
      top: info.padInfo.top,
      bottom: neededHeight - inHeight - info.padInfo.top,
      left: info.padInfo.left * inChannels,
      right: (neededWidth - inWidth - info.padInfo.left) * inChannels,
    }); // 1×KH×(KW·Ci)×Co
  free(backend, xByPixel, dyAsFilter);
  return { dataId: grad.dataId, dtype: grad.dtype, shape: [info.filterHeight, info.filterWidth, inChannels, outChannels] };
}

/** Taps of a filter axis of size `size` that reach output phase `phase` under stride `stride`. */
function tapsForPhase(size: number, stride: number, phase: number): number {
  return phase < size ? Math.ceil((size - phase) / stride) : 0;
}

interface AxisPhase {
  /** Residue of (input index + pad) modulo the stride. */
  phase: number;
  taps: number;
  /** First and count of u, where input index = u·stride + phase − pad. */
  first: number;
  count: number;
  /** Padding of dy for this phase's stride-1 correlation (negative crops). */
  padBefore: number;
  padAfter: number;
}

function axisPhases(inSize: number, outSize: number, filterSize: number, stride: number, padBefore: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let phase = 0; phase < stride; phase++) {
    const taps = tapsForPhase(filterSize, stride, phase);
    const first = Math.ceil((padBefore - phase) / stride);
    const last = Math.floor((inSize - 1 + padBefore - phase) / stride);
    phases.push({
      phase,
      taps,
      first,
      count: Math.max(0, last - first + 1),
      padBefore: taps - 1 - first,
      padAfter: last + 1 - outSize,
    });
  }
  return phases;
}

/**
 * The sub-filter of one phase, flipped and with channels swapped: G[j,l,co,ci] =
 * W[r + s·(J−1−j), c + s·(L−1−l), ci, co].
 */
function phaseFilter(
  backend: WasmBackend,
  filter: tf.TensorInfo,
  rows: AxisPhase,
  cols: AxisPhase,
  strideHeight: number,
  strideWidth: number,
): tf.TensorInfo {
  const [, filterWidth, inChannels, outChannels] = filter.shape;
  const out = backend.makeOutput([rows.taps, cols.taps, outChannels, inChannels], 'float32');
  const source = f32(backend, filter);
  const target = f32(backend, out);
  let offset = 0;
  for (let j = 0; j < rows.taps; j++) {
    const kh = rows.phase + strideHeight * (rows.taps - 1 - j);
    for (let l = 0; l < cols.taps; l++) {
      const kw = cols.phase + strideWidth * (cols.taps - 1 - l);
      const base = (kh * filterWidth + kw) * inChannels * outChannels;
      for (let co = 0; co < outChannels; co++) {
        for (let ci = 0; ci < inChannels; ci++) target[offset++] = source[base + ci * outChannels + co];
      }
    }
  }
  return out;
}

export function conv2DBackpropInput(args: {
  inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo };
  backend: WasmBackend;
  attrs: InputGradAttrs;
}): tf.TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  checkChannelsLast('Conv2DBackpropInput', attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as Shape4, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { strideHeight, strideWidth, inHeight, inWidth, outHeight, outWidth, batchSize, inChannels } = info;
  const rowPhases = axisPhases(inHeight, outHeight, info.filterHeight, strideHeight, info.padInfo.top);
  const colPhases = axisPhases(inWidth, outWidth, info.filterWidth, strideWidth, info.padInfo.left);

  if (phasesTileInput(info)) return interleaveByTranspose(backend, dy, filter, rowPhases, colPhases, info);

  const parts: { rows: AxisPhase; cols: AxisPhase; grad: tf.TensorInfo | null }[] = [];
  for (const rows of rowPhases) {
    for (const cols of colPhases) {
      if (rows.count === 0 || cols.count === 0) continue;
      parts.push({ rows, cols, grad: phaseGradient(backend, dy, filter, rows, cols, strideHeight, strideWidth) });
    }
  }
  // Stride 1: the single phase already is dx.
  if (parts.length === 1 && parts[0].grad != null && strideHeight === 1 && strideWidth === 1) {
    return parts[0].grad;
  }

  const dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
  const target = f32(backend, dx);
  for (const { rows, cols, grad } of parts) {
    const source = grad == null ? null : f32(backend, grad);
    scatterPhase(target, source, rows, cols, batchSize, inHeight, inWidth, inChannels, strideHeight, strideWidth, info.padInfo);
  }
  free(backend, ...parts.flatMap((part) => (part.grad == null ? [] : [part.grad])));
  return dx;
}

/** One phase's stride-1 correlation, or null for a phase no filter tap reaches (its gradient is zero). */
function phaseGradient(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  rows: AxisPhase,
  cols: AxisPhase,
  strideHeight: number,
  strideWidth: number,
): tf.TensorInfo | null {
  if (rows.taps === 0 || cols.taps === 0) return null;
  const subFilter = phaseFilter(backend, filter, rows, cols, strideHeight, strideWidth);
  const grad = conv2dPadded(backend, dy, subFilter, [1, 1], [1, 1], {
    top: rows.padBefore,
    bottom: rows.padAfter,
    left: cols.padBefore,
    right: cols.padAfter,
  });
  free(backend, subFilter);
  return grad;
}

/**
 * Whether a strided convolution's phases, each on its own (H/s)×(W/s) grid, cover dx exactly: nothing
 * padded before the first row or column and both sides divisible by the stride.
 */
export function phasesTileInput(info: Pick<tf.backend_util.Conv2DInfo, 'strideHeight' | 'strideWidth' | 'inHeight' | 'inWidth' | 'padInfo'>): boolean {
  const { strideHeight, strideWidth, inHeight, inWidth, padInfo } = info;
  return (strideHeight > 1 || strideWidth > 1) && padInfo.top === 0 && padInfo.left === 0 && inHeight % strideHeight === 0 && inWidth % strideWidth === 0;
}

/**
 * dx from phases that tile it: the phases, stacked as [sh, sw, N·H/sh, (W/sw)·Ci], become
 * [N·H/sh, sh, sw, (W/sw)·Ci] and then, read as [N·H, sw, W/sw, Ci], [N·H, W/sw, sw, Ci], which is dx.
 * The backend's transposes move whole rows and channel vectors; a per-pixel loop here was slower.
 */
function interleaveByTranspose(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  rowPhases: AxisPhase[],
  colPhases: AxisPhase[],
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { strideHeight, strideWidth, inHeight, inWidth, batchSize, inChannels } = info;
  const phaseHeight = inHeight / strideHeight;
  const phaseWidth = inWidth / strideWidth;
  const phases: tf.TensorInfo[] = [];
  for (const rows of rowPhases) {
    for (const cols of colPhases) {
      let grad = phaseGradient(backend, dy, filter, rows, cols, strideHeight, strideWidth);
      if (grad == null) {
        grad = backend.makeOutput([batchSize, phaseHeight, phaseWidth, inChannels], 'float32');
        f32(backend, grad).fill(0);
      }
      phases.push(grad);
    }
  }
  const stacked = runWasmKernel('Concat', backend, phases as unknown as tf.NamedTensorInfoMap, { axis: 0 });
  free(backend, ...phases);
  const rowsOut = batchSize * phaseHeight;
  const byRow = transpose(backend, { ...stacked, shape: [strideHeight, strideWidth, rowsOut, phaseWidth * inChannels] }, [2, 0, 1, 3]);
  free(backend, stacked);
  const dx = transpose(backend, { ...byRow, shape: [rowsOut * strideHeight, strideWidth, phaseWidth, inChannels] }, [0, 2, 1, 3]);
  free(backend, byRow);
  return { ...dx, shape: [batchSize, inHeight, inWidth, inChannels] };
}

/** Writes one phase's gradient (or zeros, for a phase no filter tap reaches) into its rows and columns of dx. */
function scatterPhase(
  target: Float32Array,
  source: Float32Array | null,
  rows: AxisPhase,
  cols: AxisPhase,
  batchSize: number,
  inHeight: number,
  inWidth: number,
  inChannels: number,
  strideHeight: number,
  strideWidth: number,
  pad: { top: number; left: number },
): void {
  const firstColumn = cols.first * strideWidth + cols.phase - pad.left;
  const columnStep = strideWidth * inChannels;
  let read = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let u = 0; u < rows.count; u++) {
      const ih = (rows.first + u) * strideHeight + rows.phase - pad.top;
      let write = ((n * inHeight + ih) * inWidth + firstColumn) * inChannels;
      for (let v = 0; v < cols.count; v++, write += columnStep) {
        if (source == null) {
          target.fill(0, write, write + inChannels);
        } else {
          for (let c = 0; c < inChannels; c++) target[write + c] = source[read + c];
          read += inChannels;
        }
      }
    }
  }
}

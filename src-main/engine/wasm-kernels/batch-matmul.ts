/**
 * BatchMatMul for the wasm backend. Stock tfjs-backend-wasm 4.22 runs XNNPACK's fully-connected
 * operator only for an untransposed product of two single matrices; with transposeA or transposeB,
 * or with more than one matrix per operand, it falls back to a scalar triple loop (0.4–1.3 GFLOP/s
 * against XNNPACK's 15–20 on a 9216→4096 Dense layer). Every Dense layer's gradient is such a
 * product: dW = xᵀ·dy (transposeA) and dx = dy·Wᵀ (transposeB).
 *
 * This kernel reduces every case to untransposed single-matrix products on the stock kernel's
 * XNNPACK path. For each product C = op(A)·op(B) it picks the cheaper of
 *   direct:      C  = op(A) · op(B)                       (transposes A if transposeA, B if transposeB)
 *   transposed:  C  = (op(B)ᵀ · op(A)ᵀ)ᵀ                 (transposes A unless transposeA, B unless
 *                                                           transposeB, and the result)
 * by the number of elements it has to move: the backend's Transpose costs about 15 ns an element on
 * a large matrix, XNNPACK's weight packing (of the right operand, on every call whose right operand
 * is a fresh tensor) about 1 ns. So dx = dy·Wᵀ never transposes the big W: it computes (W·dyᵀ)ᵀ and
 * only moves dy and dx.
 *
 * Batches: a right operand with a single matrix is shared by folding the left operand's batch into
 * its rows (one XNNPACK call); otherwise each output matrix is computed on its own, with TensorFlow's
 * broadcasting of the batch dimensions (which the stock kernel does not implement).
 *
 * The stock kernel caches the XNNPACK operator, with a packed copy of the right operand, on that
 * operand's tensor id until the tensor is disposed. This kernel only passes an input tensor itself
 * as the right operand where the stock kernel would too (untransposed B), or, in the transposed
 * form, an A given with transposeA; every other right operand is a temporary freed before returning.
 */
import * as tf from '@tensorflow/tfjs-core';
import { f32, free, runWasmKernel, transpose, type WasmBackend } from './heap';

interface MatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { transposeA: boolean; transposeB: boolean };
}

/** Cost of moving one element through the backend's Transpose, in units of XNNPACK weight packing. */
const TRANSPOSE_WEIGHT = 15;

/** The stock BatchMatMul kernel function; set at registration. */
let stockKernel: tf.KernelFunc | null = null;

export function setStockBatchMatMul(kernelFunc: tf.KernelFunc): void {
  stockKernel = kernelFunc;
}

function stock(): tf.KernelFunc {
  if (stockKernel == null) throw new Error('the stock wasm BatchMatMul kernel was not found at registration');
  return stockKernel;
}

/** A differently shaped view of the same data: no copy, no reference count; never free it. */
function view(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** [M,K]·[K,N] on XNNPACK through the stock kernel's untransposed single-matrix path. */
function xnnMatMul(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return stock()({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
}

function transpose2d(backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo {
  return transpose(backend, x, [1, 0]);
}

/** Which way to compute op(A)·op(B) for an A of `sizeA` elements, a B of `sizeB` and a C of `sizeC`. */
export function chooseForm(
  transposeA: boolean,
  transposeB: boolean,
  sizeA: number,
  sizeB: number,
  sizeC: number,
): 'direct' | 'transposed' {
  const direct = TRANSPOSE_WEIGHT * ((transposeA ? sizeA : 0) + (transposeB ? sizeB : 0)) + sizeB;
  const transposed = TRANSPOSE_WEIGHT * ((transposeA ? 0 : sizeA) + (transposeB ? 0 : sizeB) + sizeC) + sizeA;
  return direct <= transposed ? 'direct' : 'transposed';
}

/**
 * One product of matrices: `a` is [M,K] (or [K,M] with transposeA), `b` is [K,N] (or [N,K] with
 * transposeB). Returns a new [M,N] tensor owned by the caller.
 */
function matMul2d(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
  const [aRows, aCols] = a.shape;
  const [bRows, bCols] = b.shape;
  const m = transposeA ? aCols : aRows;
  const n = transposeB ? bRows : bCols;
  const form = chooseForm(transposeA, transposeB, aRows * aCols, bRows * bCols, m * n);
  const temporaries: tf.TensorInfo[] = [];
  const made = (info: tf.TensorInfo): tf.TensorInfo => {
    temporaries.push(info);
    return info;
  };
  try {
    if (form === 'direct') {
      const left = transposeA ? made(transpose2d(backend, a)) : a;
      const right = transposeB ? made(transpose2d(backend, b)) : b;
      return xnnMatMul(backend, left, right);
    }
    // Cᵀ = op(B)ᵀ · op(A)ᵀ, where op(B)ᵀ is B itself when transposeB and op(A)ᵀ is A when transposeA.
    const left = transposeB ? b : made(transpose2d(backend, b));
    const right = transposeA ? a : made(transpose2d(backend, a));
    const productT = made(xnnMatMul(backend, left, right));
    return transpose2d(backend, productT);
  } finally {
    free(backend, ...temporaries);
  }
}

/** Row-major index of the matrix of `shape` (batch dimensions only) that broadcasts to `outIndex`. */
function broadcastSource(outIndex: number[], shape: number[]): number {
  const offset = outIndex.length - shape.length;
  let index = 0;
  for (let d = 0; d < shape.length; d++) {
    index = index * shape[d] + (shape[d] === 1 ? 0 : outIndex[offset + d]);
  }
  return index;
}

export function batchMatMul(args: MatMulArgs): tf.TensorInfo {
  const { backend } = args;
  const { a, b } = args.inputs;
  const transposeA = Boolean(args.attrs.transposeA);
  const transposeB = Boolean(args.attrs.transposeB);
  // The stock kernel throws its own error for other dtypes.
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock()(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;

  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const inner = transposeA ? aRows : aCols;
  const innerB = transposeB ? bCols : bRows;
  const m = transposeA ? aCols : aRows;
  const n = transposeB ? bRows : bCols;
  tf.util.assert(
    inner === innerB,
    () =>
      `Error in matMul: inner shapes (${inner}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
      `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
  );
  const aBatchShape = a.shape.slice(0, aRank - 2);
  const bBatchShape = b.shape.slice(0, bRank - 2);
  const outBatchShape = tf.backend_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  const outShape = [...outBatchShape, m, n];
  const batchA = tf.util.sizeFromShape(aBatchShape);
  const batchB = tf.util.sizeFromShape(bBatchShape);
  const batchOut = tf.util.sizeFromShape(outBatchShape);

  if (batchOut === 0 || m === 0 || n === 0 || inner === 0) {
    return backend.makeOutput(outShape, 'float32', undefined, new Float32Array(tf.util.sizeFromShape(outShape)));
  }

  if (batchA === 1 && batchB === 1) {
    const product = matMul2d(backend, view(a, [aRows, aCols]), view(b, [bRows, bCols]), transposeA, transposeB);
    return view(product, outShape);
  }

  if (batchB === 1) {
    // One right matrix for every left one: stack op(A)'s matrices into the rows of a single product.
    const b2d = view(b, [bRows, bCols]);
    if (!transposeA) {
      const product = matMul2d(backend, view(a, [batchA * aRows, aCols]), b2d, false, transposeB);
      return view(product, outShape);
    }
    const aT = transpose(backend, view(a, [batchA, aRows, aCols]), [0, 2, 1]);
    try {
      const product = matMul2d(backend, view(aT, [batchA * m, inner]), b2d, false, transposeB);
      return view(product, outShape);
    } finally {
      free(backend, aT);
    }
  }

  // General case: each output matrix on its own, broadcasting the batch dimensions.
  const a3d = view(a, [batchA, aRows, aCols]);
  const b3d = view(b, [batchB, bRows, bCols]);
  const out = backend.makeOutput(outShape, 'float32');
  const outIndex = new Array<number>(outBatchShape.length).fill(0);
  try {
    for (let p = 0; p < batchOut; p++) {
      const aSlice = runWasmKernel('Slice', backend, { x: a3d }, { begin: [broadcastSource(outIndex, aBatchShape), 0, 0], size: [1, aRows, aCols] });
      const bSlice = runWasmKernel('Slice', backend, { x: b3d }, { begin: [broadcastSource(outIndex, bBatchShape), 0, 0], size: [1, bRows, bCols] });
      let product: tf.TensorInfo | null = null;
      try {
        product = matMul2d(backend, view(aSlice, [aRows, aCols]), view(bSlice, [bRows, bCols]), transposeA, transposeB);
        // Views only now: allocations above may have grown (and so detached) the heap.
        f32(backend, out).set(f32(backend, product), p * m * n);
      } finally {
        free(backend, aSlice, bSlice, ...(product ? [product] : []));
      }
      for (let d = outIndex.length - 1; d >= 0; d--) {
        if (++outIndex[d] < outBatchShape[d]) break;
        outIndex[d] = 0;
      }
    }
  } catch (error) {
    free(backend, out);
    throw error;
  }
  return out;
}

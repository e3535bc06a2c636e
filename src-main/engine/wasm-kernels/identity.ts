/**
 * Identity and same-dtype Cast without a copy. The stock wasm kernels copy the tensor; the TF.js
 * engine calls Identity for every tensor it saves for the backward pass (tensor.clone() in
 * saveTensorsForBackwardMode), about 500 full activation copies per resnet20 training step, and
 * every Cast gradient is a clone. Like the cpu and webgl backends, these kernels share the data
 * and count a reference instead: no wasm kernel writes into its inputs, so sharing is safe.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { WasmBackend } from './heap';

let stockIdentity: tf.KernelFunc | null = null;
let stockCast: tf.KernelFunc | null = null;

export function setStockIdentityAndCast(identityFunc: tf.KernelFunc, castFunc: tf.KernelFunc): void {
  stockIdentity = identityFunc;
  stockCast = castFunc;
}

function share(backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function identity(args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend }): tf.TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') {
    if (stockIdentity == null) throw new Error('the stock wasm Identity kernel was not found at registration');
    return stockIdentity(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  return share(args.backend, x);
}

/**
 * Cast. The stock kernel copies values with TypedArray.set, which makes a bool of 3 from an int32 3;
 * casts to bool here give 0 or 1 as on the other backends.
 */
export function cast(args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend; attrs: { dtype: tf.DataType } }): tf.TensorInfo {
  const { x } = args.inputs;
  const { backend } = args;
  if (x.dtype === args.attrs.dtype && x.dtype !== 'string') return share(backend, x);
  if (args.attrs.dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
    const out = backend.makeOutput(x.shape, 'bool');
    const source = backend.typedArrayFromHeap(x);
    const target = backend.typedArrayFromHeap(out);
    for (let i = 0; i < source.length; i++) target[i] = source[i] !== 0 ? 1 : 0;
    return out;
  }
  if (stockCast == null) throw new Error('the stock wasm Cast kernel was not found at registration');
  return stockCast(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

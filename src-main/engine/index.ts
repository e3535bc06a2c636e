/**
 * Engine: TF.js backend choice (tensorflow → wasm → cpu) and the project's own wasm gradient kernels.
 */
// tfjs-layers registers the gradient functions of every op; tfjs-core alone has none.
import '@tensorflow/tfjs-layers';

export { initBackend, BACKEND_LADDER, prepareWasm, wasmBinaryDirectory } from './backends';
export {
  registerWasmGradientKernels,
  stockWasmBatchMatMul,
  stockWasmConv2DBackpropInput,
  stockWasmKernel,
  WASM_GRADIENT_KERNELS,
} from './wasm-kernels/register';
export { probeBackend } from './probe';
export { benchKernels, type KernelBenchCase, type KernelBenchOp, type KernelBenchResult, type KernelBenchOptions } from './bench';

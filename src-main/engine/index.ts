/**
 * Engine: TF.js backend choice (tensorflow → wasm → cpu) and the project's own wasm gradient kernels.
 */

export { initBackend, BACKEND_LADDER, prepareWasm, wasmBinaryDirectory, type BackendOptions } from './backends';
export { defaultThreads, physicalCores } from './cores';
export { requestWasmThreads, WASM_MAX_THREADS } from './wasm-threads';
export {
  registerWasmGradientKernels,
  stockWasmBatchMatMul,
  stockWasmConv2DBackpropInput,
  stockWasmKernel,
  WASM_GRADIENT_KERNELS,
} from './wasm-kernels/register';
export { probeBackend } from './probe';
export { benchKernels, type KernelBenchCase, type KernelBenchOp, type KernelBenchResult, type KernelBenchOptions } from './bench';

/**
 * Kernel benchmark: GFLOP/s of the 3×3 convolution forward pass and of its two gradients on every
 * backend this machine can start, with the stock wasm input gradient alongside for comparison.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../contract';
import { prepareWasm } from './backends';
import { stockWasmConv2DBackpropInput } from './wasm-kernels/register';

export type KernelBenchOp = 'forward' | 'filterGradient' | 'inputGradient';

export interface KernelBenchResult {
  backend: BackendName;
  /** 'project' for the kernels the engine registers, 'stock' for the TF.js package's own. */
  implementation: 'project' | 'stock';
  op: KernelBenchOp;
  /** N×H×W×Cin→Cout, e.g. "64×32×32×16→16". */
  shape: string;
  stride: number;
  kernelSize: number;
  /** Median over the repetitions. */
  milliseconds: number;
  /** 2·N·OH·OW·K·K·Cin·Cout over the median time: the same count for the forward pass and both gradients. */
  gflops: number;
  repetitions: number;
}

export interface KernelBenchOptions {
  /**
   * Batch 16 and 3 repetitions instead of batch 64 and 7. The cpu backend always runs a batch of 2 (4
   * in full runs): its Conv2DBackpropFilter manages about 0.01 GFLOP/s.
   */
  quick?: boolean;
  /** Backends to measure; default: every one of tensorflow, wasm and cpu that starts. */
  backends?: BackendName[];
}

interface ConvShape {
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
}

const SHAPES: ConvShape[] = [
  { height: 32, width: 32, inChannels: 16, outChannels: 16 },
  { height: 16, width: 16, inChannels: 32, outChannels: 32 },
  { height: 8, width: 8, inChannels: 64, outChannels: 64 },
];
const KERNEL_SIZE = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One call of a kernel function directly on the backend (no engine, no tape); returns milliseconds. */
function timeOnce(kernelFunc: tf.KernelFunc, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): number {
  const backend = tf.backend();
  const start = performance.now();
  const out = kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
  // Reading the result waits for backends that run asynchronously.
  backend.readSync(out.dataId);
  const elapsed = performance.now() - start;
  backend.disposeData(out.dataId);
  return elapsed;
}

async function availableBackends(requested: BackendName[] | undefined): Promise<BackendName[]> {
  const names: BackendName[] = [];
  for (const name of requested ?? (['tensorflow', 'wasm', 'cpu'] as BackendName[])) {
    if (name === 'wasm') prepareWasm();
    // 'tensorflow' exists only once initBackend has loaded tfjs-node; the bench does not load it itself.
    if (tf.findBackendFactory(name) == null) continue;
    if (await tf.setBackend(name)) names.push(name);
  }
  return names;
}

/**
 * Measures forward, filter-gradient and input-gradient 3×3 convolutions (strides 1 and 2) on each
 * available backend. Restores the backend that was active before.
 */
export async function benchKernels(options: KernelBenchOptions = {}): Promise<KernelBenchResult[]> {
  const batch = options.quick ? 16 : 64;
  const repetitions = options.quick ? 3 : 7;
  const previous = tf.getBackend();
  const results: KernelBenchResult[] = [];
  try {
    for (const backendName of await availableBackends(options.backends)) {
      await tf.setBackend(backendName);
      for (const shape of SHAPES) {
        for (const stride of [1, 2]) {
          const backendBatch = backendName === 'cpu' ? (options.quick ? 2 : 4) : batch;
          results.push(...benchShape(backendName, shape, stride, backendBatch, repetitions));
        }
      }
    }
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  }
  return results;
}

function benchShape(backendName: BackendName, shape: ConvShape, stride: number, batch: number, repetitions: number): KernelBenchResult[] {
  const { height, width, inChannels, outChannels } = shape;
  const k = KERNEL_SIZE;
  const x = tf.randomNormal([batch, height, width, inChannels]) as tf.Tensor4D;
  const filter = tf.randomNormal([k, k, inChannels, outChannels]) as tf.Tensor4D;
  const outHeight = Math.ceil(height / stride);
  const outWidth = Math.ceil(width / stride);
  const dy = tf.randomNormal([batch, outHeight, outWidth, outChannels]) as tf.Tensor4D;
  const flops = 2 * batch * outHeight * outWidth * k * k * inChannels * outChannels;
  const common = { strides: [stride, stride], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
  const label = `${batch}×${height}×${width}×${inChannels}→${outChannels}`;

  const kernelOf = (name: string): tf.KernelFunc => {
    const config = tf.getKernel(name, backendName);
    if (config == null) throw new Error(`backend '${backendName}' has no '${name}' kernel`);
    return config.kernelFunc;
  };
  // Cases run round-robin, one repetition of each in turn, so load from other processes hits all alike.
  const cases: { op: KernelBenchOp; implementation: 'project' | 'stock'; run: () => number }[] = [
    {
      op: 'forward',
      implementation: 'stock',
      run: () => timeOnce(kernelOf('Conv2D'), { x, filter }, { ...common, dilations: [1, 1] } as unknown as tf.NamedAttrMap),
    },
    {
      op: 'filterGradient',
      implementation: backendName === 'wasm' ? 'project' : 'stock',
      run: () => timeOnce(kernelOf('Conv2DBackpropFilter'), { x, dy }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap),
    },
    {
      op: 'inputGradient',
      implementation: backendName === 'wasm' ? 'project' : 'stock',
      run: () => timeOnce(kernelOf('Conv2DBackpropInput'), { dy, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap),
    },
  ];
  const stockInput = stockWasmConv2DBackpropInput();
  if (backendName === 'wasm' && stockInput != null) {
    cases.push({
      op: 'inputGradient',
      implementation: 'stock',
      run: () => timeOnce(stockInput, { dy, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap),
    });
  }
  try {
    const times = cases.map((testCase) => {
      testCase.run();
      return [] as number[];
    });
    for (let repetition = 0; repetition < repetitions; repetition++) {
      cases.forEach((testCase, index) => times[index].push(testCase.run()));
    }
    return cases.map(({ op, implementation }, index) => {
      const milliseconds = median(times[index]);
      return {
        backend: backendName,
        implementation,
        op,
        shape: label,
        stride,
        kernelSize: k,
        milliseconds,
        gflops: flops / milliseconds / 1e6,
        repetitions,
      };
    });
  } finally {
    tf.dispose([x, filter, dy]);
  }
}

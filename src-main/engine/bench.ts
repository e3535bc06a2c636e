/**
 * Kernel benchmark: GFLOP/s of the 3×3 convolution and of the Dense (fully connected) layer, forward
 * pass and both gradients, on every backend this machine can start, with the stock wasm kernels the
 * project replaces alongside for comparison.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../contract';
import { prepareWasm } from './backends';
import { stockWasmBatchMatMul, stockWasmConv2DBackpropInput } from './wasm-kernels/register';

/**
 * filterGradient is the convolution's, weightGradient the Dense layer's dW = xᵀ·dy. 'forward' gets new
 * weights on every call, as in a training step (the wasm kernels then build and pack an XNNPACK
 * operator each time, as every gradient kernel does); 'forwardPacked' reuses one weight tensor, whose
 * packed operator the wasm backend caches, as in inference.
 */
export type KernelBenchOp = 'forward' | 'forwardPacked' | 'filterGradient' | 'weightGradient' | 'inputGradient';

/** 'conv': 3×3 Conv2D at strides 1 and 2. 'dense': 9216→4096 (AlexNet/VGG) and 512→10 Dense layers. */
export type KernelBenchCase = 'conv' | 'dense';

export interface KernelBenchResult {
  backend: BackendName;
  case: KernelBenchCase;
  /** 'project' for the kernels the engine registers, 'stock' for the TF.js package's own. */
  implementation: 'project' | 'stock';
  op: KernelBenchOp;
  /** conv: N×H×W×Cin→Cout, e.g. "64×32×32×16→16"; dense: N×in→out, e.g. "32×9216→4096". */
  shape: string;
  /** conv only. */
  stride?: number;
  /** conv only. */
  kernelSize?: number;
  /** Median over the repetitions. */
  milliseconds: number;
  /**
   * The same count for the forward pass and both gradients over the median time: conv
   * 2·N·OH·OW·K·K·Cin·Cout, dense 2·N·in·out.
   */
  gflops: number;
  repetitions: number;
}

export interface KernelBenchOptions {
  /**
   * conv: batch 16 and 3 repetitions instead of batch 64 and 7. dense: batch 32 only instead of 32
   * and 64, 3 repetitions instead of 7. The cpu backend always runs a batch of 2 (4 in full runs): its
   * Conv2DBackpropFilter manages about 0.01 GFLOP/s. A case whose first call takes over a second
   * (the stock wasm Dense gradients) counts that call and stops after 3 seconds or the repetitions.
   */
  quick?: boolean;
  /** Backends to measure; default: every one of tensorflow, wasm and cpu that starts. */
  backends?: BackendName[];
  /** Default: both. */
  cases?: KernelBenchCase[];
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

/** Backends whose kernels have finished when they return: reading the result back would only add a copy. */
const SYNCHRONOUS = new Set<string>(['tensorflow', 'wasm', 'cpu']);

/** One call of a kernel function directly on the backend (no engine, no tape); returns milliseconds. */
function timeOnce(kernelFunc: tf.KernelFunc, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): number {
  const backend = tf.backend();
  const start = performance.now();
  const out = kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
  // Reading the result waits for backends that run asynchronously.
  if (!SYNCHRONOUS.has(tf.getBackend())) backend.readSync(out.dataId);
  const elapsed = performance.now() - start;
  backend.disposeData(out.dataId);
  return elapsed;
}

/**
 * Runs `use` on a new tensor with `t`'s values in its own memory, made outside the timing. Not
 * tf.clone: on wasm the project's Identity shares the data, and with it the cached packed weights.
 */
function withFreshCopy(t: tf.Tensor, use: (fresh: tf.Tensor) => number): number {
  const fresh = tf.mul(t, 1);
  try {
    return use(fresh);
  } finally {
    fresh.dispose();
  }
}

interface TimedCase {
  op: KernelBenchOp;
  implementation: 'project' | 'stock';
  /** One timed call in milliseconds. */
  run: () => number;
}

/** A first call slower than this is counted as a repetition and the case stops after {@link SLOW_BUDGET_MS}. */
const SLOW_CALL_MS = 1000;
const SLOW_BUDGET_MS = 3000;

/**
 * Median milliseconds of each case. Cases run round-robin, one repetition of each in turn, so load
 * from other processes hits all alike; the first call of each is a warm-up unless it is slow.
 */
function timeCases(cases: TimedCase[], repetitions: number): { milliseconds: number; repetitions: number }[] {
  const warmUps = cases.map((testCase) => testCase.run());
  const times = warmUps.map((first) => (first > SLOW_CALL_MS ? [first] : []));
  for (let repetition = 0; repetition < repetitions; repetition++) {
    cases.forEach((testCase, index) => {
      const slow = warmUps[index] > SLOW_CALL_MS;
      const spent = times[index].reduce((sum, t) => sum + t, 0);
      if (times[index].length >= repetitions || (slow && spent >= SLOW_BUDGET_MS)) return;
      times[index].push(testCase.run());
    });
  }
  return times.map((samples) => ({ milliseconds: median(samples), repetitions: samples.length }));
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
 * Measures forward, weight-gradient and input-gradient 3×3 convolutions (strides 1 and 2) and Dense
 * layers on each available backend. Restores the backend that was active before.
 */
export async function benchKernels(options: KernelBenchOptions = {}): Promise<KernelBenchResult[]> {
  const batch = options.quick ? 16 : 64;
  const repetitions = options.quick ? 3 : 11;
  const cases = options.cases ?? ['conv', 'dense'];
  const previous = tf.getBackend();
  const results: KernelBenchResult[] = [];
  try {
    for (const backendName of await availableBackends(options.backends)) {
      await tf.setBackend(backendName);
      const cpuBatch = options.quick ? 2 : 4;
      if (cases.includes('conv')) {
        for (const shape of SHAPES) {
          for (const stride of [1, 2]) {
            const backendBatch = backendName === 'cpu' ? cpuBatch : batch;
            results.push(...benchShape(backendName, shape, stride, backendBatch, repetitions));
          }
        }
      }
      if (cases.includes('dense')) {
        const batches = backendName === 'cpu' ? [cpuBatch] : options.quick ? [32] : [32, 64];
        for (const shape of DENSE_SHAPES) {
          for (const denseBatch of batches) results.push(...benchDense(backendName, shape, denseBatch, repetitions));
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
  const forwardAttrs = { ...common, dilations: [1, 1] } as unknown as tf.NamedAttrMap;
  const cases: TimedCase[] = [
    {
      op: 'forward',
      implementation: 'stock',
      run: () => withFreshCopy(filter, (fresh) => timeOnce(kernelOf('Conv2D'), { x, filter: fresh }, forwardAttrs)),
    },
    {
      op: 'forwardPacked',
      implementation: 'stock',
      run: () => timeOnce(kernelOf('Conv2D'), { x, filter }, forwardAttrs),
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
    const timings = timeCases(cases, repetitions);
    return cases.map(({ op, implementation }, index) => ({
      backend: backendName,
      case: 'conv',
      implementation,
      op,
      shape: label,
      stride,
      kernelSize: k,
      milliseconds: timings[index].milliseconds,
      gflops: flops / timings[index].milliseconds / 1e6,
      repetitions: timings[index].repetitions,
    }));
  } finally {
    tf.dispose([x, filter, dy]);
  }
}

interface DenseShape {
  inputs: number;
  units: number;
}

/** AlexNet's and VGG's first fully connected layer, and a CIFAR-10 classifier head. */
const DENSE_SHAPES: DenseShape[] = [
  { inputs: 9216, units: 4096 },
  { inputs: 512, units: 10 },
];

/**
 * y = x·W, dW = xᵀ·dy and dx = dy·Wᵀ as BatchMatMul calls (what tf.matMul and the gradients of
 * tf.fused.matMul run; the Dense forward pass itself runs the _FusedMatMul kernel, stock on every
 * backend). The forward pass gets a fresh copy of W on every call, as in training where the weights
 * change every step: the wasm kernel caches XNNPACK's packed weights on the tensor.
 */
function benchDense(backendName: BackendName, shape: DenseShape, batch: number, repetitions: number): KernelBenchResult[] {
  const { inputs: k, units: n } = shape;
  const x = tf.randomNormal([batch, k]) as tf.Tensor2D;
  const w = tf.randomNormal([k, n]) as tf.Tensor2D;
  const dy = tf.randomNormal([batch, n]) as tf.Tensor2D;
  const flops = 2 * batch * k * n;
  const matMul = (transposeA: boolean, transposeB: boolean) => ({ transposeA, transposeB }) as unknown as tf.NamedAttrMap;
  const forward = (kernelFunc: tf.KernelFunc) => () => withFreshCopy(w, (fresh) => timeOnce(kernelFunc, { a: x, b: fresh }, matMul(false, false)));
  const config = tf.getKernel('BatchMatMul', backendName);
  if (config == null) throw new Error(`backend '${backendName}' has no 'BatchMatMul' kernel`);
  const kernels: ['project' | 'stock', tf.KernelFunc][] = [];
  const stock = backendName === 'wasm' ? stockWasmBatchMatMul() : null;
  kernels.push([stock != null ? 'project' : 'stock', config.kernelFunc]);
  if (stock != null) kernels.push(['stock', stock]);
  const cases: TimedCase[] = kernels.flatMap(([implementation, kernelFunc]): TimedCase[] => [
    { op: 'forward', implementation, run: forward(kernelFunc) },
    { op: 'weightGradient', implementation, run: () => timeOnce(kernelFunc, { a: x, b: dy }, matMul(true, false)) },
    { op: 'inputGradient', implementation, run: () => timeOnce(kernelFunc, { a: dy, b: w }, matMul(false, true)) },
  ]);
  try {
    const timings = timeCases(cases, repetitions);
    return cases.map(({ op, implementation }, index) => ({
      backend: backendName,
      case: 'dense',
      implementation,
      op,
      shape: `${batch}×${k}→${n}`,
      milliseconds: timings[index].milliseconds,
      gflops: flops / timings[index].milliseconds / 1e6,
      repetitions: timings[index].repetitions,
    }));
  } finally {
    tf.dispose([x, w, dy]);
  }
}

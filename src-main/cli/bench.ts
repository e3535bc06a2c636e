/**
 * `cvb bench [--json] [--quick] [--only SECTION,...]`: how fast this machine trains, as one JSON document.
 *   kernels   GFLOP/s of 3×3 convolutions and their gradients per backend (engine's benchKernels)
 *   training  per backend and model: images/s of the workbench's loop and of a bare TF.js loop
 *             (tf.variableGrads + optimizer.applyGradients) on the same model, batch and backend
 *   pipeline  images/s of batch preparation alone (the data pipeline, plain and augmented)
 *   inference warm single-image latency through the inference worker vs a bare model.predict
 *   runList   time to list 1,000 runs from the store
 *   peers     with --peers: PyTorch training the same resnet20 on this CPU (bench/peers/pytorch.py),
 *             run in the same command so the ratio compares like with like
 *   backend, versions, cpu
 * `--only kernels,inference` measures just those sections (the others are left out of the JSON).
 * `--threads 1,2` measures kernels and training once per thread count, each in its own process (the
 * wasm module starts once per process), and each row says its count in `threads`.
 * Timings are medians over several steps after warm-up, so load from other processes moves them less.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { TrainConfigSchema, type BackendName, type BackendReport } from '../contract';
import { channelStats, gatherBatch } from '../data/batches';
import { besideThisBundle } from '../data/bundle-path';
import { memorySource } from '../data/cache';
import { benchmarkPipeline, type PipelineBenchmark } from '../data/pipeline';
import type { LoadedDataset } from '../data/datasets';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { benchKernels, initBackend, prepareWasm, requestWasmThreads, type KernelBenchResult } from '../engine';
import { buildTrainingModel, runTraining } from '../train/loop';
import { Mulberry32 } from '../train/random';
import { splitsBatches } from '../train/replicas';
import { benchInference } from '../core/inference-bench';
import { benchmarkRunList } from '../store/bench';
import { getModelMeta } from '../zoo';
import { defineCommand, type Options } from './args';
import { invalid, printJson } from './output';

const BATCH = 64;
const INPUT: [number, number, number] = [32, 32, 3];
const CLASSES = 10;
const LEARNING_RATE = 0.01;

/** resnet20 first, then small variants of other families, whichever the zoo has registered. */
const CANDIDATES: { model: string; switches: Record<string, unknown> }[] = [
  { model: 'resnet20', switches: {} },
  { model: 'vgg11_bn', switches: { smallInput: true, widthMultiplier: 0.25 } },
  { model: 'alexnet', switches: { smallInput: true, widthMultiplier: 0.25 } },
  { model: 'googlenet', switches: { smallInput: true, widthMultiplier: 0.25 } },
  // Not in the default set: at batch 64 it needs more than wasm's 4 GiB heap (a clear error, since the
  // engine's heap guard); batch 16 fits.
  { model: 'densenet_bc_100_k12', switches: {} },
  { model: 'resnext50_32x4d', switches: { smallInput: true, widthMultiplier: 0.25 } },
  { model: 'seresnet50', switches: { smallInput: true, widthMultiplier: 0.25 } },
];

export interface TrainingBenchResult {
  backend: BackendName;
  model: string;
  family: string;
  switches: Record<string, unknown>;
  input: [number, number, number];
  batchSize: number;
  /**
   * Threads per operation: wasm's XNNPACK pool (the calling thread included), 1 on cpu, null where
   * TensorFlow picks its own; with `dataParallel`, the threads the batch is split across.
   */
  threads: number | null;
  /** The workbench loop split each batch across `threads` single-threaded replicas; the bare loop ran on one thread. */
  dataParallel: boolean;
  /** Median images/s of the bare TF.js loop. */
  bareImagesPerSec: number;
  /** Median images/s of the workbench's loop, measured between consecutive steps (everything included). */
  workbenchImagesPerSec: number;
  /** workbench / bare; the target is ≥ 0.95. */
  ratio: number;
  timedSteps: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function syntheticDataset(count: number): LoadedDataset {
  const random = new Mulberry32(1);
  const pixels = INPUT[0] * INPUT[1] * INPUT[2];
  const images = new Uint8Array(count * pixels);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(random.next() * 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % CLASSES);
  const split = { images, labels, count };
  const info = { id: 'bench', name: 'bench', classes: Array.from({ length: CLASSES }, (_, i) => String(i)), input: INPUT, trainCount: count, testCount: count, source: 'synthetic' };
  return { info, train: split, test: split };
}

/** The bare loop: one tidy with variableGrads + applyGradients and one read per step, on a fixed batch. */
function bareLoop(model: tfl.LayersModel, dataset: LoadedDataset): { step(): number; dispose(): void } {
  const norm = channelStats(dataset.train, INPUT[2]);
  const indices = Uint32Array.from({ length: BATCH }, (_, i) => i);
  const x = tf.tensor4d(gatherBatch(dataset.train, indices, INPUT[2], norm), [BATCH, ...INPUT]);
  const y = tf.oneHot(tf.tensor1d(Array.from(indices, (i) => dataset.train.labels[i]), 'int32'), CLASSES);
  const optimizer: tf.Optimizer = tf.train.momentum(LEARNING_RATE, 0.9);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    step() {
      const began = performance.now();
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const output = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
          return tf.losses.softmaxCrossEntropy(y, Array.isArray(output) ? output[0] : output) as tf.Scalar;
        }, variables);
        optimizer.applyGradients(grads);
        return value;
      });
      loss.dataSync();
      loss.dispose();
      return (performance.now() - began) / 1000;
    },
    dispose() {
      tf.dispose([x, y]);
      optimizer.dispose();
    },
  };
}

/**
 * Steps of the workbench's loop (SGD with momentum, as the bare loop) interleaved one for one with
 * bare steps, so both see the same load from other processes. A bare step runs inside the loop's
 * metric hook; the loop's time is the interval between its consecutive steps minus that bare step,
 * so it includes everything the loop does (batch gathering, metrics, hooks, yielding to events).
 */
async function interleavedSteps(loopModel: tfl.LayersModel, bare: { step(): number }, dataset: LoadedDataset, steps: number, split: DataParallel): Promise<{ loop: number[]; bare: number[] }> {
  const config = TrainConfigSchema.parse({
    model: 'bench', dataset: 'bench', epochs: 1, batchSize: BATCH, learningRate: LEARNING_RATE, optimizer: 'momentum', validationFraction: 0, maxSteps: steps + 1,
    ...(split ? { model: split.model, dataParallel: true, threads: split.threads, modelOptions: split.switches } : {}),
  });
  const loop: number[] = [];
  const bareTimes: number[] = [];
  let previous: number | null = null;
  let inserted = 0;
  await runTraining(config, dataset, loopModel, {
    shouldStop: () => false,
    onMetric: (event) => {
      if (event.type !== 'step') return;
      const now = performance.now();
      if (previous !== null) loop.push((now - previous) / 1000 - inserted);
      previous = now;
      inserted = bare.step();
      bareTimes.push(inserted);
    },
  });
  return { loop, bare: bareTimes };
}

/** The threads one operation of `backend` runs on in this process. */
function threadsOf(backend: BackendName): number | null {
  if (backend === 'wasm') return getThreadsCount();
  return backend === 'cpu' ? 1 : null;
}

/** A data-parallel loop over this many threads (its replicas build the candidate with these switches), or null. */
type DataParallel = { threads: number; model: string; switches: Record<string, unknown> } | null;

async function benchTraining(backend: BackendName, candidate: (typeof CANDIDATES)[number], warmup: number, timed: number, dataParallelThreads: number | null): Promise<TrainingBenchResult> {
  await tf.setBackend(backend);
  const dataset = syntheticDataset(BATCH * (warmup + timed + 2));
  const config = { model: candidate.model, seed: 42 };
  // The replicas build their model from the loop's config, so it names the candidate.
  const split: DataParallel = dataParallelThreads ? { threads: dataParallelThreads, model: candidate.model, switches: candidate.switches } : null;
  const bareModel = buildTrainingModel(config, INPUT, CLASSES, candidate.switches);
  const loopModel = buildTrainingModel(config, INPUT, CLASSES, candidate.switches);
  const bare = bareLoop(bareModel, dataset);
  try {
    const times = await interleavedSteps(loopModel, bare, dataset, warmup + timed, split);
    const bareImagesPerSec = BATCH / median(times.bare.slice(warmup));
    const workbenchImagesPerSec = BATCH / median(times.loop.slice(warmup));
    return {
      backend,
      model: candidate.model,
      family: getModelMeta(candidate.model)?.family ?? 'unknown',
      switches: candidate.switches,
      input: INPUT,
      batchSize: BATCH,
      threads: split ? split.threads : threadsOf(backend),
      dataParallel: split !== null,
      bareImagesPerSec,
      workbenchImagesPerSec,
      ratio: workbenchImagesPerSec / bareImagesPerSec,
      timedSteps: timed,
    };
  } finally {
    bare.dispose();
    bareModel.dispose();
    loopModel.dispose();
  }
}

/**
 * Images/s of the data pipeline alone (the data engineer's benchmarkPipeline over an in-memory
 * source), batch 64 at 32×32×3: plain, and with CIFAR augmentation (pad-4 crop + flip).
 */
async function benchPipeline(quick: boolean): Promise<(PipelineBenchmark & { augmentation: string })[]> {
  const dataset = syntheticDataset(BATCH * 32);
  const common = {
    source: memorySource(dataset.train),
    batchSize: BATCH,
    shape: INPUT,
    norm: channelStats(dataset.train, INPUT[2]),
    seed: 1,
    minSeconds: quick ? 0.5 : 2,
  };
  const plain = await benchmarkPipeline(common);
  const augmented = await benchmarkPipeline({ ...common, augment: { randomCrop: { padding: 4 }, horizontalFlip: true } });
  return [
    { ...plain, augmentation: 'none' },
    { ...augmented, augmentation: 'random crop (padding 4) + horizontal flip' },
  ];
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

async function availableBackends(best: BackendReport, threads: number): Promise<BackendName[]> {
  const names: BackendName[] = best.name === 'tensorflow' ? ['tensorflow'] : [];
  prepareWasm();
  const started = requestWasmThreads(threads);
  const wasm = await tf.setBackend('wasm');
  started();
  if (wasm) names.push('wasm');
  if (await tf.setBackend('cpu')) names.push('cpu');
  return names;
}

const BENCH_OPTIONS = {
  quick: { type: 'boolean', default: false },
  backends: { type: 'string' },
  models: { type: 'string' },
  peers: { type: 'boolean', default: false },
  only: { type: 'string' },
  threads: { type: 'string' },
  'data-parallel': { type: 'boolean', default: false },
} satisfies Options;

/** `--threads 1,2`: whole numbers of at least 1, each once, in the order given; [1] when absent. */
export function parseThreadCounts(value: string | undefined): number[] {
  if (value === undefined) return [1];
  const items = value.split(',').map((item) => item.trim());
  const counts = items.map(Number);
  if (items.some((item) => !/^\d+$/.test(item)) || counts.some((count) => count < 1) || new Set(counts).size !== counts.length) {
    throw invalid('threads', `--threads: whole numbers of at least 1, each once, separated by commas (e.g. 1,2); received "${value}"`);
  }
  return counts;
}

/** Why a `--json` child failed: the error object it printed, else the end of its stderr. */
function childFailure(stdout: string, stderr: string): string {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    const message = (JSON.parse(last) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: a crash before the error was printed
  }
  return stderr.trim().split('\n').slice(-3).join(' ') || 'no output';
}

/** Kernel and training rows of one thread count, measured by this command in a child process. */
function benchInChild(
  threads: number,
  args: { quick: boolean; backends?: string; models?: string; sections: BenchSection[]; dataParallel?: boolean },
): { kernels: (KernelBenchResult & { threads: number })[]; training: TrainingBenchResult[] } {
  // A data-parallel child trains only: its operations run on one thread, as the 1-thread child's do.
  const only = args.sections.filter((section) => section === 'training' || (section === 'kernels' && !args.dataParallel));
  // The CLI bundle itself, not process.argv[1]: `npm run bench` starts scripts/cvb.mjs, which would rebuild first.
  const argv = [besideThisBundle('cli.js'), 'bench', '--json', '--only', only.join(','), '--threads', String(threads)];
  if (args.dataParallel) argv.push('--data-parallel');
  if (args.quick) argv.push('--quick');
  if (args.backends) argv.push('--backends', args.backends);
  if (args.models) argv.push('--models', args.models);
  const child = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (child.status !== 0) throw new Error(`bench with --threads ${threads}${args.dataParallel ? ' --data-parallel' : ''} failed (${child.signal ?? `exit ${child.status}`}): ${childFailure(child.stdout, child.stderr)}`);
  const report = JSON.parse(child.stdout.trim().split('\n').pop()!) as { kernels: KernelBenchResult[]; training: TrainingBenchResult[] };
  return { kernels: report.kernels.map((row) => ({ ...row, threads })), training: report.training };
}

export const benchCommand = defineCommand(BENCH_OPTIONS, false, async (context, { values }) => {
  const options = values as { quick: boolean; backends?: string; models?: string; peers: boolean; only?: string; threads?: string; 'data-parallel': boolean };
  const threadCounts = parseThreadCounts(options.threads);
  // --data-parallel: each thread count above 1 is also trained data-parallel (in a child of its own).
  const dataParallel = options['data-parallel'];
  const quick = options.quick;
  const log = (line: string) => {
    if (!context.json) process.stderr.write(`${line}\n`);
  };
  const sections = parseSections(options.only);
  const wants = (section: BenchSection) => sections.includes(section);
  // A data-parallel measurement (a child's single thread count) runs its operations on one thread.
  const splitThreads = dataParallel && threadCounts.length === 1 && threadCounts[0] > 1 ? threadCounts[0] : null;
  const backend = await initBackend(undefined, { threads: splitThreads ? 1 : threadCounts[0] });
  const chosen = options.backends?.split(',').map((name) => name.trim()) ?? null;
  const backends = (await availableBackends(backend, threadCounts[0])).filter((name) => !chosen || chosen.includes(name));
  const wanted = options.models?.split(',').map((name) => name.trim());
  const models = wanted
    ? CANDIDATES.filter((c) => wanted.includes(c.model) && getModelMeta(c.model))
    : [CANDIDATES[0], ...CANDIDATES.slice(1).filter((c) => getModelMeta(c.model) && getModelMeta(c.model)!.family !== 'ResNet').slice(0, 2)];

  const kernels: (KernelBenchResult & { threads?: number })[] = [];
  const training: TrainingBenchResult[] = [];
  if (threadCounts.length > 1 && (wants('kernels') || wants('training'))) {
    for (const threads of threadCounts) {
      log(`kernels and training with ${threads} thread${threads === 1 ? '' : 's'} (in a child process)...`);
      const rows = benchInChild(threads, { quick, backends: options.backends, models: options.models, sections });
      kernels.push(...rows.kernels);
      training.push(...rows.training);
      if (dataParallel && threads > 1 && wants('training')) {
        log(`training data-parallel over ${threads} threads (in a child process)...`);
        training.push(...benchInChild(threads, { quick, backends: options.backends, models: options.models, sections, dataParallel: true }).training);
      }
    }
  }
  const measuredInChildren = threadCounts.length > 1;
  if (wants('kernels') && !measuredInChildren) {
    log(`kernels on ${backends.join(', ')}...`);
    kernels.push(...(await benchKernels({ quick, backends })).map((row) => ({ ...row, ...(threadsOf(row.backend) ? { threads: threadsOf(row.backend)! } : {}) })));
  }
  // The pure-JS cpu backend needs minutes per resnet20 step at batch 64: trained only when asked for.
  const skipped = chosen ? [] : backends.filter((name) => name === 'cpu' && backends.length > 1).map((name) => ({
    backend: name,
    reason: 'the pure-JS cpu backend takes minutes per step at batch 64; run with --backends cpu to measure it',
  }));
  const trained = wants('training') && !measuredInChildren ? backends.filter((b) => !skipped.some((s) => s.backend === b)) : [];
  for (const name of trained) {
    const warmup = 1;
    const timed = quick || name === 'cpu' ? 3 : 7;
    for (const candidate of models) {
      log(`training ${candidate.model} on ${name}...`);
      const result = await benchTraining(name, candidate, warmup, timed, splitThreads ? splitsBatches({ dataParallel: true, threads: splitThreads }, name) : null);
      log(`  bare ${result.bareImagesPerSec.toFixed(1)} images/s, workbench ${result.workbenchImagesPerSec.toFixed(1)} images/s (×${result.ratio.toFixed(3)})`);
      training.push(result);
    }
  }
  const pipeline = wants('pipeline') ? await benchPipeline(quick) : [];
  await tf.setBackend(backend.name);
  let inference: Awaited<ReturnType<typeof benchInference>> = [];
  if (wants('inference')) {
    log('inference latency...');
    inference = await benchInference({
      workerEntry: besideThisBundle('infer-worker.js'),
      repeats: quick ? 5 : 20,
      minSeconds: quick ? 0.5 : 3,
      backend: backend.name,
    });
    for (const result of inference) log(`  ${result.model}@${result.size}: bare ${result.bareMs.toFixed(2)} ms, workbench ${result.workbenchMs.toFixed(2)} ms (×${result.ratio.toFixed(2)})`);
  }
  let runList: ReturnType<typeof benchmarkRunList> | null = null;
  if (wants('runList')) {
    log('listing 1,000 runs...');
    runList = benchmarkRunList({ count: 1000, repeats: quick ? 3 : 5 });
  }
  const peers = options.peers || wants('peers') ? runPyTorchPeer(quick, log) : null;
  // With several thread counts, the one with the most threads (the "all threads" figure), its faster way.
  const resnet20 = training
    .filter((result) => result.model === 'resnet20' && result.backend === backend.name)
    .sort((a, b) => (b.threads ?? 0) - (a.threads ?? 0) || b.workbenchImagesPerSec - a.workbenchImagesPerSec)[0];
  const peerComparison =
    peers && 'imagesPerSec' in peers && resnet20
      ? { resnet20WorkbenchOverPyTorchOneThread: resnet20.workbenchImagesPerSec / peers.imagesPerSec.oneThread, resnet20DataParallel: resnet20.dataParallel }
      : null;
  const cpus = os.cpus();
  const report = {
    backend,
    quick,
    sections,
    kernels,
    training,
    trainingSkipped: skipped,
    pipeline,
    inference,
    runList,
    peers,
    peerComparison,
    versions: {
      node: process.versions.node,
      tfjsCore: tf.version_core,
      tfjsLayers: tfl.version_layers,
      tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
      tfjsBackendCpu: packageVersion('@tensorflow/tfjs-backend-cpu'),
      tfjsNode: packageVersion('@tensorflow/tfjs-node'),
    },
    cpu: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length, platform: `${process.platform}-${process.arch}` },
  };
  if (context.json) printJson(report);
  else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
});

const BENCH_SECTIONS = ['kernels', 'training', 'pipeline', 'inference', 'runList', 'peers'] as const;
type BenchSection = (typeof BENCH_SECTIONS)[number];

/** `--only a,b` as a list of sections; all of them (peers only with --peers) when absent. */
export function parseSections(only: string | undefined): BenchSection[] {
  if (only === undefined) return BENCH_SECTIONS.filter((section) => section !== 'peers');
  const names = only.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(BENCH_SECTIONS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw invalid('only', `--only: ${names.length === 0 ? 'no section given' : `unknown section ${unknown.map((n) => `"${n}"`).join(', ')}`}; sections: ${BENCH_SECTIONS.join(', ')}`);
  }
  return names as BenchSection[];
}

/** PyTorch's images/s for the same resnet20 step (Debian's python3-torch), or why there is none. */
function runPyTorchPeer(quick: boolean, log: (line: string) => void): { imagesPerSec: { oneThread: number; allThreads: number } } | { error: string } {
  const python = process.env.CVB_PYTHON ?? '/usr/bin/python3';
  const script = besideThisBundle('..', '..', 'bench', 'peers', 'pytorch.py');
  log(`PyTorch peer (${python})...`);
  const result = spawnSync(python, [script, '--steps', quick ? '5' : '10'], { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) return { error: `${python} ${script} failed: ${(result.stderr || result.error?.message || '').trim().split('\n').slice(-1)[0]}` };
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

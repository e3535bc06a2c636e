/**
 * The training loop (not model.fit): seeded data order, one optimizer step per batch with the
 * scheduled learning rate, label smoothing, auxiliary-head losses, gradient clipping and weight
 * decay; metrics per step (one device read for all of them) and per epoch, validation every epoch,
 * best checkpoint and early stopping by a validation metric, a checkpoint hook at each epoch end, at
 * a stop and every few minutes inside an epoch, and exact resumption from any such checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendName, BudgetFit, EpochMetric, MetricEvent, MonitoredMetric, TrainConfig } from '../contract';
import { hasAugmentation, type AugmentOptions } from '../data/augment';
import { channelStats, type Normalization } from '../data/batches';
import type { PreparedBatch } from '../data/batch-prep';
import { createBatchProducer, type BatchProducer, type PipelineMode, type PipelineStats } from '../data/batch-producer';
import { isStreamed, type LoadedDataset, type Split, type TrainingDataset } from '../data/datasets';
import { createModel, endsInSoftmax, getModelMeta, outputLossWeights } from '../zoo';
import type { CheckpointState, NamedTensor } from './checkpoint';
import { createOptimizer, isDecayed, setLearningRate, weightDecayOf, type WeightDecay } from './optimizers';
import { Mulberry32, shuffleInPlace, streamSeeds, withMathRandom } from './random';
import { CALIBRATION_STEPS, fitToBudget } from './budget';
import { ReplicaPool, splitBatch, splitsBatches, type ReplicaResult } from './replicas';
import { learningRateAt } from './schedules';

export interface TrainPlan {
  trainIndices: Uint32Array;
  /** Indices into the validation split: the dataset's own `val` split, or images held out of `train`. */
  validationIndices: Uint32Array;
  validationSplit: 'val' | 'train';
  stepsPerEpoch: number;
  totalSteps: number;
}

/**
 * The epoch a plan ends in: its last whole epoch, or the one a step limit or a time budget cuts
 * short. What the progress counts up to, never the configured epochs when fewer are trained.
 */
export function endEpochOf(plan: Pick<TrainPlan, 'stepsPerEpoch' | 'totalSteps'>): number {
  return plan.stepsPerEpoch > 0 ? Math.ceil(plan.totalSteps / plan.stepsPerEpoch) : 0;
}

export interface CheckpointRequest {
  state: CheckpointState;
  /** The epoch metric that ended the epoch, or null when the run stopped before any batch of it. */
  metric: EpochMetric | null;
  /** True when this epoch's weights are the best so far by the monitored metric. */
  isBest: boolean;
  model: LayersModel;
  optimizer: tf.Optimizer;
}

export interface TrainLoopHooks {
  /** Called once the data is planned; `normalization` is what every batch (and inference) uses. */
  onStart?(plan: TrainPlan, normalization: Normalization): void;
  onMetric(event: MetricEvent): void;
  /**
   * Called after validation at the end of each epoch, when a run stops mid-epoch, and every
   * `checkpointMinutes` inside an epoch (then with no metric).
   */
  onCheckpoint?(request: CheckpointRequest): Promise<void>;
  /** A run with `maxMinutes`: called once its first steps are timed and the budget is fitted. */
  onBudget?(fit: BudgetFit, plan: TrainPlan): void;
  shouldStop(): boolean;
}

export interface TrainOptions {
  /** Continue from a checkpoint: its state and its optimizer slots (the loop disposes them). */
  resume?: { state: CheckpointState; optimizerWeights: NamedTensor[] };
  /**
   * Where batches are prepared (see data/batch-producer.ts): 'worker' (a worker thread prepares
   * the next batches while the step runs), 'thread' (in the training thread), or 'auto' (default:
   * the worker when its bundled entry is found and starts, else the thread). Batches are the same.
   */
  pipeline?: PipelineMode;
  /** The batch worker's entry file; by default batch-worker.js next to the running bundle. */
  batchWorkerEntry?: string;
  /** Batches requested ahead of the step being run (default 2). */
  prefetch?: number;
  /**
   * Milliseconds on a monotonic clock (default `performance.now`), read after each step to decide
   * whether a checkpoint inside the epoch is due (`config.checkpointMinutes`); tests pass their own.
   */
  clock?: () => number;
  /** The data-parallel replica worker's entry file; by default replica-worker.js next to the running bundle. */
  replicaWorkerEntry?: string;
  /** Called once when the loop ends (normally, by a stop, or by an error) with the pipeline's figures. */
  onPipeline?(stats: PipelineStats & { streaming: boolean; waitSeconds: number }): void;
}

export type LoopOutcome = 'completed' | 'stopped';

/** A NaN or infinite loss: the run ends, and the last checkpoint (written before it) stays. */
export class DivergenceError extends Error {
  constructor(
    readonly step: number,
    readonly learningRate: number,
    loss: number,
  ) {
    super(
      `training diverged: the loss became ${loss} at step ${step} with learning rate ${formatRate(learningRate)}; ` +
        `the last checkpoint from before it is kept. Try a lower learning rate (e.g. ${formatRate(learningRate / 10)}), ` +
        'a warm-up, or gradient clipping.',
    );
    this.name = 'DivergenceError';
  }
}

function formatRate(rate: number): string {
  return Number(rate.toPrecision(3)).toString();
}

/**
 * The run's data plan. With the dataset's own validation split (`val`, from the source's folders
 * or carved at import) training uses all of `train` and validates on all of `val`; otherwise it
 * holds `validationFraction` of the training set out, stratified by class and seeded.
 */
export function planTraining(config: TrainConfig, train: Pick<Split, 'labels' | 'count'>, val?: Pick<Split, 'labels' | 'count'>): TrainPlan {
  if (val && val.count > 0) {
    const stepsPerEpoch = Math.ceil(train.count / config.batchSize);
    const fullSteps = stepsPerEpoch * config.epochs;
    return {
      trainIndices: Uint32Array.from({ length: train.count }, (_, i) => i),
      validationIndices: Uint32Array.from({ length: val.count }, (_, i) => i),
      validationSplit: 'val',
      stepsPerEpoch,
      totalSteps: config.maxSteps ? Math.min(config.maxSteps, fullSteps) : fullSteps,
    };
  }
  const random = new Mulberry32(streamSeeds(config.seed).split);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < train.count; i++) {
    const label = train.labels[i];
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label)!.push(i);
  }
  const trainIndices: number[] = [];
  const validationIndices: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    shuffleInPlace(members, random.next);
    const held = Math.round(members.length * config.validationFraction);
    validationIndices.push(...members.slice(0, held));
    trainIndices.push(...members.slice(held));
  }
  const stepsPerEpoch = Math.ceil(trainIndices.length / config.batchSize);
  const fullSteps = stepsPerEpoch * config.epochs;
  return {
    trainIndices: Uint32Array.from(trainIndices),
    validationIndices: Uint32Array.from(validationIndices.sort((a, b) => a - b)),
    validationSplit: 'train',
    stepsPerEpoch,
    totalSteps: config.maxSteps ? Math.min(config.maxSteps, fullSteps) : fullSteps,
  };
}

/**
 * Builds the run's model with its seed: the same seed gives the same initial weights (see
 * random.ts for how TF.js initializers are made deterministic). Models with auxiliary heads are
 * built with them, for their weighted losses.
 */
export function buildTrainingModel(
  config: Pick<TrainConfig, 'model' | 'seed'>,
  input: [number, number, number],
  classes: number,
  switches: Record<string, unknown> = {},
): LayersModel {
  const meta = getModelMeta(config.model);
  const withAux = meta?.auxOutputs && switches.auxHeads !== false;
  const overrides = { ...switches, input, classes, ...(withAux ? { training: true, auxHeads: true } : {}) };
  return withMathRandom(new Mulberry32(streamSeeds(config.seed).init).next, () => createModel(config.model, overrides));
}

function outputsOf(output: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(output) ? output : [output];
}

/**
 * Mean cross-entropy of `output` (logits, or probabilities when `probabilities`) against the
 * labels, with the targets smoothed to (1 − ε)·one-hot + ε/classes.
 */
export function crossEntropy(output: tf.Tensor, labels: tf.Tensor, classes: number, probabilities: boolean, labelSmoothing = 0): tf.Scalar {
  const oneHot = tf.oneHot(labels as tf.Tensor1D, classes);
  if (probabilities) {
    const targets = labelSmoothing > 0 ? tf.add(tf.mul(oneHot, 1 - labelSmoothing), labelSmoothing / classes) : oneHot;
    const clipped = tf.clipByValue(output, 1e-7, 1);
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.log(clipped)), -1))) as tf.Scalar;
  }
  return tf.losses.softmaxCrossEntropy(oneHot, output, undefined, labelSmoothing) as tf.Scalar;
}

/** The training loss of a model's outputs: Σ weightᵢ · crossEntropy(outputᵢ), the main output weighing 1. */
export function trainingLoss(outputs: tf.Tensor[], labels: tf.Tensor, classes: number, probabilities: boolean, lossWeights: number[], labelSmoothing: number): tf.Scalar {
  let loss = crossEntropy(outputs[0], labels, classes, probabilities, labelSmoothing);
  for (let i = 1; i < outputs.length; i++) {
    const weight = lossWeights[i] ?? 0;
    if (weight > 0) loss = tf.add(loss, tf.mul(crossEntropy(outputs[i], labels, classes, probabilities, labelSmoothing), weight));
  }
  return loss;
}

function correctCount(output: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(output, -1), labels), 'float32'));
}

function top5Count(output: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const { indices } = tf.topk(output, 5);
  return tf.sum(tf.cast(tf.any(tf.equal(indices, tf.expandDims(labels, 1)), 1), 'float32'));
}

/**
 * Scales the gradients so that their global L2 norm is at most `maxNorm` (PyTorch's
 * clip_grad_norm_, with the same 1e-6 guard).
 */
export function clipByGlobalNorm(grads: tf.Tensor[], globalNorm: tf.Scalar, maxNorm: number): tf.Tensor[] {
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(globalNorm, 1e-6)));
  return grads.map((g) => tf.mul(g, scale));
}

export interface UpdateRule {
  decay: WeightDecay;
  /** Per variable: whether weight decay applies to it. */
  decayed: boolean[];
  gradClipNorm?: number;
}

/**
 * One update from the gradients, in PyTorch's order: clip by global norm, add L2 decay to the
 * gradient (or shrink the weights, decoupled), then the optimizer's step. Call inside a tidy; it
 * returns each gradient's squared norm and their sum, from before clipping, for the metrics.
 */
export function applyUpdate(optimizer: tf.Optimizer, variables: tf.Variable[], gradients: tf.Tensor[], rule: UpdateRule, rate: number): { squares: tf.Scalar[]; globalSquare: tf.Scalar } {
  const squares = gradients.map((g) => tf.sum(tf.square(g)) as tf.Scalar);
  const globalSquare = tf.addN(squares) as tf.Scalar;
  let updates = gradients;
  if (rule.gradClipNorm !== undefined) updates = clipByGlobalNorm(updates, tf.sqrt(globalSquare), rule.gradClipNorm);
  if (rule.decay.l2 > 0) updates = updates.map((g, i) => (rule.decayed[i] ? tf.add(g, tf.mul(variables[i], rule.decay.l2)) : g));
  if (rule.decay.decoupled > 0) {
    // AdamW as PyTorch: the weights shrink first, then the Adam step (on gradients of the old weights).
    const keep = 1 - rate * rule.decay.decoupled;
    variables.forEach((v, i) => rule.decayed[i] && v.assign(tf.mul(v, keep)));
  }
  optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, updates[i]])));
  return { squares, globalSquare };
}

export interface EvaluationInput {
  model: LayersModel;
  producer: BatchProducer;
  /** The producer's source to read: 'val', or 'train' for images held out of it. */
  source: string;
  indices: Uint32Array;
  shape: [number, number, number];
  classes: number;
  batchSize: number;
  /** True when the model ends in a softmax (see {@link crossEntropy}). */
  probabilities: boolean;
}

/** Loss and accuracy over `indices` of a split, its batches prepared by the producer (two ahead). */
async function evaluate({ model, producer, source, indices, shape, classes, batchSize, probabilities }: EvaluationInput): Promise<{ loss: number; accuracy: number }> {
  if (indices.length === 0) return { loss: NaN, accuracy: NaN };
  let lossSum = 0;
  let correct = 0;
  const ahead: Promise<PreparedBatch>[] = [];
  let requested = 0;
  const fill = () => {
    while (ahead.length < 2 && requested < indices.length) {
      ahead.push(producer.request(source, indices.subarray(requested, requested + batchSize), false));
      requested += batchSize;
    }
  };
  for (let start = 0; start < indices.length; start += batchSize) {
    fill();
    const batch = await ahead.shift()!;
    fill();
    const count = batch.y.length;
    const sums = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [count, ...shape]);
      const y = tf.tensor1d(batch.y, 'int32');
      const output = outputsOf(model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[])[0];
      return tf.stack([tf.mul(crossEntropy(output, y, classes, probabilities), count), correctCount(output, y)]);
    });
    const [loss, right] = sums.dataSync();
    sums.dispose();
    lossSum += loss;
    correct += right;
  }
  return { loss: lossSum / indices.length, accuracy: correct / indices.length };
}

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The value of the monitored metric; without a validation split, its training counterpart. */
function monitoredValue(metric: EpochMetric, monitor: MonitoredMetric): number {
  if (monitor === 'valLoss') return metric.valLoss ?? metric.trainLoss;
  return metric.valAccuracy ?? metric.trainAccuracy;
}

function improves(score: number, best: number | null, monitor: MonitoredMetric, minDelta: number): boolean {
  if (!Number.isFinite(score)) return false;
  if (best === null) return true;
  return monitor === 'valLoss' ? score < best - minDelta : score > best + minDelta;
}

/** The trainable variables, which of them decay, and the layer each belongs to (for per-layer norms). */
function describeVariables(model: LayersModel, decayNormAndBias: boolean) {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const decayed = variables.map((v) => isDecayed(v, decayNormAndBias));
  const layerOf = model.trainableWeights.map((w) => {
    const name = w.originalName;
    return name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : name;
  });
  const layers = [...new Set(layerOf)];
  const members = layers.map((layer) => layerOf.flatMap((owner, i) => (owner === layer ? [i] : [])));
  return { variables, decayed, layers, members };
}

/**
 * What a run fixes before its first step and never changes: the data plan, the update rule, what it
 * reports. The one exception: a time budget, once fitted, shortens `plan.totalSteps` and scales
 * `timing` (applyBudget), the same way in the run that fits it and in every resume of it.
 */
interface RunSetup {
  config: TrainConfig;
  shape: [number, number, number];
  classes: number;
  plan: TrainPlan;
  timing: { stepsPerEpoch: number; totalSteps: number };
  norm: Normalization;
  streaming: boolean;
  optimizer: tf.Optimizer;
  update: UpdateRule;
  variables: tf.Variable[];
  /** The layer names, and for each the indices of its variables (per-layer gradient norms). */
  layers: string[];
  members: number[][];
  loss: LossSpec;
  monitor: MonitoredMetric;
  minDelta: number;
  augmentation: AugmentOptions | null;
}

function prepareRun(config: TrainConfig, dataset: LoadedDataset | TrainingDataset, model: LayersModel): RunSetup {
  const [height, width, channels] = dataset.info.input;
  const classes = dataset.info.classes.length;
  const plan = planTraining(config, dataset.train, dataset.val);
  const { variables, decayed, layers, members } = describeVariables(model, config.decayNormAndBias);
  return {
    config,
    shape: [height, width, channels],
    classes,
    plan,
    timing: { stepsPerEpoch: plan.stepsPerEpoch, totalSteps: plan.totalSteps },
    norm: normalizationOf(dataset, channels, plan.trainIndices),
    streaming: isStreamed(dataset.train),
    optimizer: createOptimizer(config),
    update: { decay: weightDecayOf(config), decayed, gradClipNorm: config.gradClipNorm },
    variables,
    layers,
    members,
    loss: lossSpecOf(config, model, classes),
    monitor: config.bestMetric ?? config.earlyStopping?.metric ?? 'valAccuracy',
    minDelta: config.earlyStopping?.minDelta ?? 0,
    augmentation: hasAugmentation(config.augmentation) ? config.augmentation! : null,
  };
}

/**
 * The loop's mutable state, all of which a checkpoint stores: where the run is, the running sums of
 * the epoch in progress, the best score so far, and the seeded streams.
 */
class RunState {
  step = 0;
  /** The first epoch this process trains, and the batches of it already trained before a resume. */
  startEpoch = 1;
  skipBatches = 0;
  totals = { loss: 0, correct: 0, seen: 0 };
  best: CheckpointState['best'];
  epochsWithoutImprovement = 0;
  learningRate: number;
  /** What a time budget fitted (null until then, and without one). */
  budget: BudgetFit | null = null;
  readonly orderRandom: Mulberry32;
  readonly tensorRandom: Mulberry32;
  readonly augmentRandom: Mulberry32;

  constructor(private readonly setup: RunSetup) {
    const seeds = streamSeeds(setup.config.seed);
    this.orderRandom = new Mulberry32(seeds.order);
    this.tensorRandom = new Mulberry32(seeds.tensors);
    this.augmentRandom = new Mulberry32(seeds.augment);
    this.best = { metric: setup.monitor, score: null, epoch: null };
    this.learningRate = learningRateAt(setup.config, 0, setup.timing);
  }

  restore(state: CheckpointState): void {
    ({ step: this.step, batchInEpoch: this.skipBatches, learningRate: this.learningRate, epochsWithoutImprovement: this.epochsWithoutImprovement } = state);
    this.startEpoch = state.epoch + 1;
    this.orderRandom.state = state.orderRandomState;
    this.tensorRandom.state = state.tensorRandomState;
    if (state.augmentRandomState !== undefined) this.augmentRandom.state = state.augmentRandomState;
    this.totals = { ...state.epochTotals };
    if (state.best.metric === this.setup.monitor) this.best = { ...state.best };
    if (state.budget) this.budget = state.budget;
  }

  resetTotals(): void {
    this.totals = { loss: 0, correct: 0, seen: 0 };
  }

  snapshot(epoch: number, batchInEpoch: number, orderRandomState: number): CheckpointState {
    return {
      epoch,
      step: this.step,
      savedAt: new Date().toISOString(),
      seed: this.setup.config.seed,
      batchInEpoch,
      orderRandomState,
      tensorRandomState: this.tensorRandom.state,
      augmentRandomState: this.augmentRandom.state,
      epochTotals: { ...this.totals },
      best: { ...this.best },
      epochsWithoutImprovement: this.epochsWithoutImprovement,
      learningRate: this.learningRate,
      ...(this.budget ? { budget: this.budget } : {}),
    };
  }
}

/**
 * Sets the plan to the fitted steps and scales the schedule's epochs (milestones, warm-up) by as much;
 * from the planned steps, so a refit may lengthen the plan again.
 */
function applyBudget(setup: RunSetup, fit: BudgetFit): void {
  setup.plan.totalSteps = fit.fittedSteps;
  setup.timing = { stepsPerEpoch: setup.plan.stepsPerEpoch * fit.scheduleScale, totalSteps: fit.scheduleScale < 1 ? fit.fittedSteps : fit.plannedSteps };
}

/** [loss, correct, top-5 correct, squared global norm, squared layer norms...] of one step. */
type StepFigures = Float32Array;

/** What a share's loss needs besides the model and the batch: the same in the training thread and in every replica. */
export interface LossSpec {
  classes: number;
  /** True when the model ends in a softmax (see {@link crossEntropy}). */
  probabilities: boolean;
  lossWeights: number[];
  labelSmoothing: number;
  withTop5: boolean;
}

export function lossSpecOf(config: Pick<TrainConfig, 'auxLossWeight' | 'labelSmoothing'>, model: LayersModel, classes: number): LossSpec {
  return {
    classes,
    probabilities: endsInSoftmax(model),
    lossWeights: outputLossWeights(model).map((weight, i) => (i > 0 && config.auxLossWeight !== undefined ? config.auxLossWeight : weight)),
    labelSmoothing: config.labelSmoothing,
    withTop5: classes > 5,
  };
}

/**
 * The forward and backward pass of one share of a batch, inside a tidy: the mean loss over its
 * images, how many it got right (and within the top 5; kept tensors, which the caller disposes), and
 * that loss's gradient for each variable, in `variables` order. The whole batch when one thread
 * trains; one share of it in each thread when the batch is split (see replicas.ts).
 */
export function shareGradients(
  model: LayersModel,
  variables: tf.Variable[],
  spec: LossSpec,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
): { value: tf.Scalar; counts: [tf.Scalar, tf.Scalar]; grads: tf.Tensor[] } {
  let counts: [tf.Scalar, tf.Scalar] = [tf.scalar(0), tf.scalar(0)];
  const { value, grads } = tf.variableGrads(() => {
    const outputs = outputsOf(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
    // Kept past the gradient's own scope, so no tidy frees them: the caller disposes them.
    counts = [tf.keep(correctCount(outputs[0], y)), tf.keep(spec.withTop5 ? top5Count(outputs[0], y) : tf.scalar(0))];
    return trainingLoss(outputs, y, spec.classes, spec.probabilities, spec.lossWeights, spec.labelSmoothing);
  }, variables);
  return { value, counts, grads: variables.map((v) => grads[v.name]) };
}

/** The packed figures of a step from its loss, counts and gradients (applied here, at `rate`). */
function applyAndReport(setup: RunSetup, value: tf.Scalar, counts: tf.Scalar[], grads: tf.Tensor[], rate: number): tf.Tensor1D {
  const { config, optimizer, variables, update, members } = setup;
  const { squares, globalSquare } = applyUpdate(optimizer, variables, grads, update, rate);
  const layerSquares = config.perLayerGradNorms ? members.map((idx) => (idx.length === 1 ? squares[idx[0]] : tf.addN(idx.map((i) => squares[i])))) : [];
  return tf.stack([value, ...counts, globalSquare, ...layerSquares]) as tf.Tensor1D;
}

type TrainStep = (pixels: Float32Array, labels: Int32Array, rate: number, step: number) => Promise<StepFigures>;

/**
 * One optimizer step on a batch at the given rate, its random ops drawing from the tensor stream.
 * With replicas (`dataParallel`), this thread takes the first share of the batch and each replica
 * one of the others, all at once; their gradients are weighted by share and summed in share order,
 * so the result depends on the thread count, never on timing.
 */
function createTrainStep(setup: RunSetup, model: LayersModel, tensorRandom: Mulberry32, replicas: ReplicaPool | null): TrainStep {
  const { shape, optimizer, variables, loss } = setup;
  const tensors = (pixels: Float32Array, labels: Int32Array) => [tf.tensor4d(pixels, [labels.length, ...shape]), tf.tensor1d(labels, 'int32')] as const;
  const read = (packed: tf.Tensor) => {
    const values = packed.dataSync() as Float32Array;
    packed.dispose();
    return values;
  };
  if (!replicas) {
    return async (pixels, labels, rate) => {
      setLearningRate(optimizer, rate);
      return read(
        withMathRandom(tensorRandom.next, () =>
          tf.tidy(() => {
            const { value, counts, grads } = shareGradients(model, variables, loss, ...tensors(pixels, labels));
            const row = applyAndReport(setup, value, counts, grads, rate);
            tf.dispose(counts);
            return row;
          }),
        ),
      );
    };
  }
  return async (pixels, labels, rate, step) => {
    setLearningRate(optimizer, rate);
    const shares = splitBatch(pixels, labels, replicas.size + 1);
    replicas.publishWeights(variables);
    const others = replicas.step(step, shares.slice(1));
    const [first] = shares;
    const own = withMathRandom(tensorRandom.next, () =>
      tf.tidy(() => {
        const { value, counts, grads } = shareGradients(model, variables, loss, ...tensors(first.pixels, first.labels));
        return [value, ...counts, ...grads];
      }),
    );
    let results: ReplicaResult[];
    try {
      results = await others;
    } catch (error) {
      tf.dispose(own);
      throw error;
    }
    const packed = tf.tidy(() => {
      const weights = shares.map((share) => share.labels.length / labels.length);
      const [value, correct, correct5] = [0, 1, 2].map((k) => {
        let sum = k === 0 ? tf.mul(own[0], weights[0]) : own[k];
        results.forEach((result, i) => {
          sum = tf.add(sum, k === 0 ? result.loss * weights[i + 1] : result.counts[k - 1]);
        });
        return sum as tf.Scalar;
      });
      const grads = variables.map((variable, j) => {
        let sum = tf.mul(own[3 + j], weights[0]);
        results.forEach((result, i) => {
          if (weights[i + 1] > 0) sum = tf.add(sum, tf.mul(tf.tensor(result.gradient(j), variable.shape), weights[i + 1]));
        });
        return sum;
      });
      return applyAndReport(setup, value, [correct, correct5], grads, rate);
    });
    tf.dispose(own);
    return read(packed);
  };
}

/**
 * The training batches in order, `depth` of them requested ahead of the step being run. Each
 * epoch's order is shuffled from the order stream when first needed, which can be during the epoch
 * before (prefetching across the boundary); an order keeps the stream's state from before its
 * shuffle, which is what a checkpoint stores to shuffle the same order again on resume.
 */
class TrainBatchQueue {
  private readonly orders = new Map<number, { before: number; order: Uint32Array }>();
  private ordered: number;
  private readonly pending: { epoch: number; index: number; batch: Promise<PreparedBatch> }[] = [];
  /** The next batch to request. */
  private readonly cursor: { epoch: number; index: number; step: number };

  constructor(
    private readonly setup: RunSetup,
    private readonly producer: BatchProducer,
    private readonly orderRandom: Mulberry32,
    private readonly depth: number,
    start: { epoch: number; index: number; step: number },
  ) {
    this.ordered = start.epoch - 1;
    this.cursor = { ...start };
  }

  /** The order stream's state from before `epoch`'s shuffle; forgets the order of the epoch before. */
  beginEpoch(epoch: number): number {
    const before = this.orderOf(epoch).before;
    this.orders.delete(epoch - 1);
    return before;
  }

  /** The order stream's state a checkpoint at the end of `epoch - 1` stores. */
  orderStateBefore(epoch: number): number {
    return this.orders.get(epoch)?.before ?? this.orderRandom.state;
  }

  /** Batch `index` of `epoch`, which must be the next one in order. */
  async take(epoch: number, index: number): Promise<PreparedBatch> {
    this.fill();
    const next = this.pending.shift()!;
    if (next.epoch !== epoch || next.index !== index) throw new Error(`internal: batch ${next.epoch}/${next.index} prepared for ${epoch}/${index}`);
    const batch = await next.batch;
    // The next batches are requested before this step runs, so they are prepared meanwhile.
    this.fill();
    return batch;
  }

  private orderOf(epoch: number) {
    while (this.ordered < epoch) {
      this.ordered++;
      const before = this.orderRandom.state;
      const order = Uint32Array.from(this.setup.plan.trainIndices);
      shuffleInPlace(order, this.orderRandom.next);
      this.orders.set(this.ordered, { before, order });
    }
    return this.orders.get(epoch)!;
  }

  private fill(): void {
    const { plan, config, augmentation } = this.setup;
    const cursor = this.cursor;
    while (this.pending.length < this.depth && plan.stepsPerEpoch > 0 && cursor.step < plan.totalSteps && cursor.epoch <= config.epochs) {
      const indices = this.orderOf(cursor.epoch).order.subarray(cursor.index * config.batchSize, (cursor.index + 1) * config.batchSize);
      this.pending.push({ epoch: cursor.epoch, index: cursor.index, batch: this.producer.request('train', indices, augmentation !== null) });
      cursor.step++;
      if (++cursor.index >= plan.stepsPerEpoch) {
        cursor.epoch++;
        cursor.index = 0;
      }
    }
  }
}

/** One run of the loop, epoch by epoch: train the epoch's batches, then validate and checkpoint. */
class TrainingRun {
  /** Milliseconds spent waiting for prepared batches. */
  waitMs = 0;
  private readonly trainStep: TrainStep;
  private readonly batches: TrainBatchQueue;
  private lastCheckpointAt: number;
  private readonly startedAt: number;
  /** A budget being fitted: when and at which step the timed steps began. */
  private calibration: { time: number; step: number } | null = null;
  /**
   * A budget fitted in this process that may be fitted again: when and at which step the steps timed
   * for that began ('next': at the end of the next step, after the validation pass now under way).
   */
  private fittedAt: { time: number; step: number } | 'next' | null = null;
  /** A budget fitted in this process: the run ends here even if the estimate was short. */
  private deadline = Infinity;

  constructor(
    private readonly setup: RunSetup,
    private readonly state: RunState,
    private readonly model: LayersModel,
    private readonly producer: BatchProducer,
    private readonly hooks: TrainLoopHooks,
    prefetch: number,
    private readonly clock: () => number,
    replicas: ReplicaPool | null,
  ) {
    this.lastCheckpointAt = clock();
    this.startedAt = this.lastCheckpointAt;
    this.trainStep = createTrainStep(setup, model, state.tensorRandom, replicas);
    this.batches = new TrainBatchQueue(setup, producer, state.orderRandom, prefetch, { epoch: state.startEpoch, index: state.skipBatches, step: state.step });
  }

  async run(): Promise<LoopOutcome> {
    const { config } = this.setup;
    for (let epoch = this.state.startEpoch; epoch <= config.epochs; epoch++) {
      const orderRandomState = this.batches.beginEpoch(epoch);
      const resumedMidEpoch = epoch === this.state.startEpoch && this.state.skipBatches > 0;
      if (!resumedMidEpoch) this.state.resetTotals();
      const batchIndex = await this.trainEpoch(epoch, resumedMidEpoch ? this.state.skipBatches : 0, orderRandomState);
      const outcome = batchIndex < this.setup.plan.stepsPerEpoch ? await this.endEarly(epoch, batchIndex, orderRandomState) : await this.endEpoch(epoch);
      if (outcome) return outcome;
    }
    return 'completed';
  }

  /**
   * Trains `epoch` from batch `first` until its end, a stop or the step limit, with a checkpoint
   * whenever `checkpointMinutes` have passed since the last one; returns the next batch index.
   */
  private async trainEpoch(epoch: number, first: number, orderRandomState: number): Promise<number> {
    const { plan, config } = this.setup;
    let batchIndex = first;
    for (; batchIndex < plan.stepsPerEpoch; batchIndex++) {
      if (this.hooks.shouldStop() || this.state.step >= plan.totalSteps || this.pastDeadline()) break;
      await this.trainBatch(epoch, batchIndex);
      this.timeBudget(batchIndex + 1 === plan.stepsPerEpoch);
      // The epoch's last batch is followed by the epoch's own checkpoint.
      const due = config.checkpointMinutes > 0 && this.clock() - this.lastCheckpointAt >= config.checkpointMinutes * 60_000;
      if (due && batchIndex + 1 < plan.stepsPerEpoch) await this.checkpoint(this.state.snapshot(epoch - 1, batchIndex + 1, orderRandomState), null, false);
      await yieldToEvents();
    }
    return batchIndex;
  }

  /**
   * With `maxMinutes` and nothing fitted yet: times CALIBRATION_STEPS steps after this process's
   * first, then fits the run to what is left of the budget (see budget.ts). Then, at the end of each
   * epoch with CALIBRATION_STEPS steps timed since, the fit is made again from those steps, which run
   * at the steady speed the first ones do not, while the run is early enough (see refitBudget).
   */
  private timeBudget(epochEnds: boolean): void {
    const { config, plan } = this.setup;
    if (config.maxMinutes === undefined) return;
    if (this.state.budget) {
      if (this.fittedAt === 'next') this.fittedAt = { time: this.clock(), step: this.state.step };
      else if (epochEnds) this.refitBudget();
      return;
    }
    const now = this.clock();
    if (!this.calibration) {
      this.calibration = { time: now, step: this.state.step };
      return;
    }
    const timed = this.state.step - this.calibration.step;
    if (timed < CALIBRATION_STEPS && this.state.step < plan.totalSteps) return;
    const fit = this.fitSince(this.calibration, now, plan.totalSteps);
    this.state.budget = fit;
    applyBudget(this.setup, fit);
    this.deadline = this.startedAt + config.maxMinutes * 60_000;
    this.fittedAt = { time: now, step: this.state.step };
    this.hooks.onBudget?.(fit, plan);
  }

  /**
   * A later fit, made at an epoch's end (before its checkpoint, which stores it, so a resume from
   * there on follows it) from the steps timed since the last fit or the last epoch's validation. Kept
   * only while the run is in the first third of both the plan it replaces and the new one: the
   * schedule is rescaled around the current step, and this early its milestones have not been
   * reached under either plan (warm-ups may be: the rate then dips a little). Past that, the fit
   * stands to the end; a fit with the same steps changes nothing, and the next epoch is timed anew.
   */
  private refitBudget(): void {
    const { config, plan } = this.setup;
    const current = this.state.budget;
    const since = this.fittedAt;
    if (!current || !since || since === 'next' || config.maxMinutes === undefined) return;
    if (this.state.step - since.step < CALIBRATION_STEPS) return;
    const fit = this.fitSince(since, this.clock(), current.plannedSteps);
    if (3 * this.state.step > Math.min(current.fittedSteps, fit.fittedSteps)) {
      this.fittedAt = null;
      return;
    }
    this.fittedAt = 'next';
    if (fit.fittedSteps === current.fittedSteps) return;
    const refit = { ...fit, refitStep: this.state.step };
    this.state.budget = refit;
    applyBudget(this.setup, refit);
    this.hooks.onBudget?.(refit, plan);
  }

  /** The budget's fit at `now`, timed over the steps since `since`, of a run planned at `plannedSteps`. */
  private fitSince(since: { time: number; step: number }, now: number, plannedSteps: number): BudgetFit {
    const { config, plan } = this.setup;
    const timed = this.state.step - since.step;
    return fitToBudget({
      maxMinutes: config.maxMinutes!,
      elapsedSeconds: (now - this.startedAt) / 1000,
      step: this.state.step,
      calibrationSteps: timed,
      secondsPerStep: (now - since.time) / 1000 / timed,
      batchSize: config.batchSize,
      stepsPerEpoch: plan.stepsPerEpoch,
      plannedSteps,
      validationImages: plan.validationIndices.length,
      validationBatchSize: validationBatchSize(config),
    });
  }

  private pastDeadline(): boolean {
    return this.deadline !== Infinity && this.clock() >= this.deadline;
  }

  private async trainBatch(epoch: number, batchIndex: number): Promise<void> {
    const { config, timing, layers } = this.setup;
    const { withTop5 } = this.setup.loss;
    const state = this.state;
    const began = performance.now();
    const batch = await this.batches.take(epoch, batchIndex);
    this.waitMs += performance.now() - began;
    state.learningRate = learningRateAt(config, state.step, timing);
    const [loss, correct, correct5, globalSquare, ...layerSquares] = await this.trainStep(batch.x, batch.y, state.learningRate, state.step);
    state.augmentRandom.state = batch.augmentState;
    state.step++;
    if (!Number.isFinite(loss)) throw new DivergenceError(state.step, state.learningRate, loss);
    const size = batch.y.length;
    const seconds = (performance.now() - began) / 1000;
    state.totals.loss += loss * size;
    state.totals.correct += correct;
    state.totals.seen += size;
    const time = Date.now();
    this.hooks.onMetric({
      type: 'step',
      step: state.step,
      epoch,
      loss,
      accuracy: correct / size,
      ...(withTop5 ? { top5Accuracy: correct5 / size } : {}),
      learningRate: state.learningRate,
      imagesPerSec: size / Math.max(seconds, 1e-9),
      gradNorm: Math.sqrt(globalSquare),
      time,
    });
    if (config.perLayerGradNorms) {
      this.hooks.onMetric({ type: 'grads', step: state.step, epoch, layers: Object.fromEntries(layers.map((layer, i) => [layer, Math.sqrt(layerSquares[i])])), time });
    }
  }

  /**
   * A stop or the step limit ended the epoch early: its metric is reported, marked partial, and the
   * checkpoint resumes mid-epoch. Without a batch trained there is no metric to report.
   */
  private async endEarly(epoch: number, batchIndex: number, orderRandomState: number): Promise<LoopOutcome> {
    let metric: EpochMetric | null = null;
    if (this.state.totals.seen > 0) {
      metric = { ...(await this.epochMetric(epoch)), partial: true };
      this.hooks.onMetric(metric);
    }
    await this.checkpoint(this.state.snapshot(epoch - 1, batchIndex, orderRandomState), metric, false);
    return this.hooks.shouldStop() ? 'stopped' : 'completed';
  }

  /** A whole epoch: its metric, the best score and early stopping, the epoch checkpoint; an outcome when the run ends here. */
  private async endEpoch(epoch: number): Promise<LoopOutcome | null> {
    const { config, monitor, minDelta, plan } = this.setup;
    const state = this.state;
    const metric = await this.epochMetric(epoch);
    const score = monitoredValue(metric, monitor);
    const isBest = improves(score, state.best.score, monitor, minDelta);
    if (isBest) {
      state.best = { metric: monitor, score, epoch };
      state.epochsWithoutImprovement = 0;
      metric.best = true;
    } else {
      state.epochsWithoutImprovement++;
    }
    const earlyStop = config.earlyStopping !== undefined && state.epochsWithoutImprovement >= config.earlyStopping.patience && epoch < config.epochs;
    if (earlyStop) metric.earlyStopped = true;
    this.hooks.onMetric(metric);
    state.resetTotals();
    await this.checkpoint(state.snapshot(epoch, 0, this.batches.orderStateBefore(epoch + 1)), metric, isBest);
    if (earlyStop) return 'completed';
    if (this.hooks.shouldStop()) return 'stopped';
    if (state.step >= plan.totalSteps) return 'completed';
    return null;
  }

  /** The epoch's training figures so far and a validation pass. */
  private async epochMetric(epoch: number): Promise<EpochMetric> {
    const { config, plan, shape, classes } = this.setup;
    const { totals } = this.state;
    const validation = await evaluate({
      model: this.model,
      producer: this.producer,
      source: plan.validationSplit,
      indices: plan.validationIndices,
      shape,
      classes,
      batchSize: validationBatchSize(config),
      probabilities: this.setup.loss.probabilities,
    });
    return {
      type: 'epoch',
      epoch,
      step: this.state.step,
      trainLoss: totals.loss / totals.seen,
      trainAccuracy: totals.correct / totals.seen,
      valLoss: Number.isFinite(validation.loss) ? validation.loss : null,
      valAccuracy: Number.isFinite(validation.accuracy) ? validation.accuracy : null,
      learningRate: this.state.learningRate,
      time: Date.now(),
    };
  }

  private async checkpoint(state: CheckpointState, metric: EpochMetric | null, isBest: boolean): Promise<void> {
    await this.hooks.onCheckpoint?.({ state, metric, isBest, model: this.model, optimizer: this.setup.optimizer });
    this.lastCheckpointAt = this.clock();
  }
}

/**
 * Trains `model` on `dataset` (in memory, or with its train split streamed from the cache). Batches
 * come from a batch producer (data/batch-producer.ts): a worker thread prepares batch k+1 (and
 * k+2) while step k runs, or the training thread does when no worker can run; either way the data
 * order and augmentation draws are the seeded streams checkpointed in CheckpointState.
 */
export async function runTraining(config: TrainConfig, dataset: LoadedDataset | TrainingDataset, model: LayersModel, hooks: TrainLoopHooks, options: TrainOptions = {}): Promise<LoopOutcome> {
  const setup = prepareRun(config, dataset, model);
  const state = new RunState(setup);
  if (options.resume) {
    const { state: saved, optimizerWeights } = options.resume;
    await setup.optimizer.setWeights(optimizerWeights);
    tf.dispose(optimizerWeights.map((w) => w.tensor));
    state.restore(saved);
    if (state.budget) applyBudget(setup, state.budget);
  }
  const producer = await createBatchProducer({
    sources: { train: dataset.train, ...(setup.plan.validationSplit === 'val' && dataset.val ? { val: dataset.val } : {}) },
    spec: { shape: setup.shape, norm: setup.norm, augment: setup.augmentation },
    // The producer owns the augmentation stream from here; each batch brings back its state after it.
    augmentState: state.augmentRandom.state,
    mode: options.pipeline,
    workerEntry: options.batchWorkerEntry,
  });
  let replicas: ReplicaPool | null = null;
  try {
    const backend = tf.getBackend() as BackendName;
    const threads = splitsBatches(config, backend);
    if (threads) {
      replicas = await ReplicaPool.start({
        count: threads - 1,
        entry: options.replicaWorkerEntry,
        backend,
        config,
        input: setup.shape,
        classes: setup.classes,
        variables: setup.variables,
      });
    }
  } catch (error) {
    await producer.close();
    throw error;
  }
  const run = new TrainingRun(setup, state, model, producer, hooks, Math.max(1, options.prefetch ?? 2), options.clock ?? (() => performance.now()), replicas);
  try {
    hooks.onStart?.(setup.plan, setup.norm);
    return await run.run();
  } finally {
    await replicas?.close();
    const stats = producer.stats();
    await producer.close();
    options.onPipeline?.({ ...stats, streaming: setup.streaming, waitSeconds: run.waitMs / 1000 });
  }
}

/** Validation runs forward passes only, at the training batch size or 64, whichever is larger. */
function validationBatchSize(config: TrainConfig): number {
  return Math.max(config.batchSize, 64);
}

/**
 * The per-channel statistics every batch is normalised with: computed over the training indices
 * when the split is in memory (as always), and taken from the cache manifest (the whole train
 * split's) when it streams, rather than reading a dataset larger than memory once more.
 */
function normalizationOf(dataset: LoadedDataset | TrainingDataset, channels: number, trainIndices: Uint32Array): Normalization {
  const train = dataset.train;
  if (!isStreamed(train)) return channelStats(train, channels, trainIndices);
  const stats = (dataset as TrainingDataset).normalization;
  if (!stats) throw new Error(`dataset "${dataset.info.id}" streams from its cache but has no channel statistics in its manifest; import it again`);
  return { mean: [...stats.mean], std: [...stats.std] };
}

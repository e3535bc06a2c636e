/**
 * The training loop (not model.fit): seeded data order, one optimizer step per batch with the
 * scheduled learning rate, label smoothing, auxiliary-head losses, gradient clipping and weight
 * decay; metrics per step (one device read for all of them) and per epoch, validation every epoch,
 * best checkpoint and early stopping by a validation metric, a checkpoint hook at each epoch end and
 * at a stop, and exact resumption from such a checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { EpochMetric, MetricEvent, MonitoredMetric, TrainConfig } from '../contract';
import { augmentBatch, hasAugmentation, normalizeBatch } from '../data/augment';
import { channelStats, gatherBatch, gatherLabels, type Normalization } from '../data/batches';
import type { LoadedDataset, Split } from '../data/datasets';
import { createModel, getModelMeta, outputLossWeights } from '../zoo';
import type { CheckpointState, NamedTensor } from './checkpoint';
import { createOptimizer, isDecayed, setLearningRate, weightDecayOf, type WeightDecay } from './optimizers';
import { Mulberry32, shuffleInPlace, streamSeeds, withMathRandom } from './random';
import { learningRateAt } from './schedules';

export interface TrainPlan {
  trainIndices: Uint32Array;
  validationIndices: Uint32Array;
  stepsPerEpoch: number;
  totalSteps: number;
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
  /** Called after validation at the end of each epoch, and once more when a run stops mid-epoch. */
  onCheckpoint?(request: CheckpointRequest): Promise<void>;
  shouldStop(): boolean;
}

export interface TrainOptions {
  /** Continue from a checkpoint: its state and its optimizer slots (the loop disposes them). */
  resume?: { state: CheckpointState; optimizerWeights: NamedTensor[] };
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

/** Splits the training set into training and validation indices, stratified by class and seeded. */
export function planTraining(config: TrainConfig, train: Split): TrainPlan {
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

/** True when the model ends in a softmax layer (probabilities); otherwise its outputs are logits. */
function outputsProbabilities(model: LayersModel): boolean {
  const last = model.outputLayers[0] ?? model.layers[model.layers.length - 1];
  return (last.getConfig() as { activation?: string }).activation === 'softmax';
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

function evaluate(model: LayersModel, split: Split, indices: Uint32Array, norm: Normalization, channels: number, classes: number, batchSize: number, probabilities: boolean): { loss: number; accuracy: number } {
  if (indices.length === 0) return { loss: NaN, accuracy: NaN };
  const [height, width] = model.inputs[0].shape.slice(1) as number[];
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.subarray(start, start + batchSize);
    const sums = tf.tidy(() => {
      const x = tf.tensor4d(gatherBatch(split, batch, channels, norm), [batch.length, height, width, channels]);
      const y = tf.tensor1d(gatherLabels(split, batch), 'int32');
      const output = outputsOf(model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[])[0];
      return tf.stack([tf.mul(crossEntropy(output, y, classes, probabilities), batch.length), correctCount(output, y)]);
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

export async function runTraining(config: TrainConfig, dataset: LoadedDataset, model: LayersModel, hooks: TrainLoopHooks, options: TrainOptions = {}): Promise<LoopOutcome> {
  const [height, width, channels] = dataset.info.input;
  const classes = dataset.info.classes.length;
  const plan = planTraining(config, dataset.train);
  const timing = { stepsPerEpoch: plan.stepsPerEpoch, totalSteps: plan.totalSteps };
  const norm = channelStats(dataset.train, channels, plan.trainIndices);
  const optimizer = createOptimizer(config);
  const decay = weightDecayOf(config);
  const probabilities = outputsProbabilities(model);
  const lossWeights = outputLossWeights(model).map((weight, i) => (i > 0 && config.auxLossWeight !== undefined ? config.auxLossWeight : weight));
  const { variables, decayed, layers, members } = describeVariables(model, config.decayNormAndBias);
  const update: UpdateRule = { decay, decayed, gradClipNorm: config.gradClipNorm };
  const names = variables.map((v) => v.name);
  const withTop5 = classes > 5;
  const monitor: MonitoredMetric = config.bestMetric ?? config.earlyStopping?.metric ?? 'valAccuracy';
  const minDelta = config.earlyStopping?.minDelta ?? 0;
  const seeds = streamSeeds(config.seed);
  const orderRandom = new Mulberry32(seeds.order);
  const tensorRandom = new Mulberry32(seeds.tensors);
  const augmentRandom = new Mulberry32(seeds.augment);
  const augmentation = hasAugmentation(config.augmentation) ? config.augmentation : undefined;
  const imageSize = height * width * channels;
  const batchBuffer = new Float32Array(config.batchSize * imageSize);
  const rawBuffer = new Uint8Array(augmentation ? config.batchSize * imageSize : 0);

  /** The batch's normalised pixels, augmented first when the run asks for it. */
  const prepareBatch = (batch: Uint32Array): Float32Array => {
    const out = batchBuffer.subarray(0, batch.length * imageSize);
    if (!augmentation) return gatherBatch(dataset.train, batch, channels, norm, out);
    const raw = rawBuffer.subarray(0, batch.length * imageSize);
    batch.forEach((index, n) => raw.set(dataset.train.images.subarray(index * imageSize, (index + 1) * imageSize), n * imageSize));
    return normalizeBatch(augmentBatch(raw, [batch.length, height, width, channels], augmentation, augmentRandom.next), channels, norm, out);
  };

  let step = 0;
  let startEpoch = 1;
  let skipBatches = 0;
  let totals = { loss: 0, correct: 0, seen: 0 };
  let best: CheckpointState['best'] = { metric: monitor, score: null, epoch: null };
  let epochsWithoutImprovement = 0;
  let learningRate = learningRateAt(config, 0, timing);
  if (options.resume) {
    const { state, optimizerWeights } = options.resume;
    await optimizer.setWeights(optimizerWeights);
    tf.dispose(optimizerWeights.map((w) => w.tensor));
    ({ step, batchInEpoch: skipBatches, learningRate, epochsWithoutImprovement } = state);
    startEpoch = state.epoch + 1;
    orderRandom.state = state.orderRandomState;
    tensorRandom.state = state.tensorRandomState;
    if (state.augmentRandomState !== undefined) augmentRandom.state = state.augmentRandomState;
    totals = { ...state.epochTotals };
    best = state.best.metric === monitor ? { ...state.best } : best;
  }
  hooks.onStart?.(plan, norm);

  const snapshot = (epoch: number, batchInEpoch: number, orderRandomState: number): CheckpointState => ({
    epoch,
    step,
    savedAt: new Date().toISOString(),
    seed: config.seed,
    batchInEpoch,
    orderRandomState,
    tensorRandomState: tensorRandom.state,
    augmentRandomState: augmentRandom.state,
    epochTotals: { ...totals },
    best: { ...best },
    epochsWithoutImprovement,
    learningRate,
  });

  /** One optimizer step; returns [loss, correct, top-5 correct, squared global norm, squared layer norms...]. */
  const trainStep = (pixels: Float32Array, labels: Int32Array, rate: number): Float32Array => {
    setLearningRate(optimizer, rate);
    const packed = withMathRandom(tensorRandom.next, () =>
      tf.tidy(() => {
        const x = tf.tensor4d(pixels, [labels.length, height, width, channels]);
        const y = tf.tensor1d(labels, 'int32');
        let counts: tf.Tensor[] = [];
        const { value, grads } = tf.variableGrads(() => {
          const outputs = outputsOf(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
          // Kept past the gradient's own scope, and disposed below once packed.
          counts = [correctCount(outputs[0], y), withTop5 ? top5Count(outputs[0], y) : tf.scalar(0)].map((t) => tf.keep(t));
          return trainingLoss(outputs, y, classes, probabilities, lossWeights, config.labelSmoothing);
        }, variables);
        const { squares, globalSquare } = applyUpdate(optimizer, variables, names.map((name) => grads[name]), update, rate);
        const layerSquares = config.perLayerGradNorms ? members.map((idx) => (idx.length === 1 ? squares[idx[0]] : tf.addN(idx.map((i) => squares[i])))) : [];
        const row = tf.stack([value, ...counts, globalSquare, ...layerSquares]);
        tf.dispose(counts);
        return row;
      }),
    );
    const values = packed.dataSync() as Float32Array;
    packed.dispose();
    return values;
  };

  for (let epoch = startEpoch; epoch <= config.epochs; epoch++) {
    const orderRandomState = orderRandom.state;
    const order = Uint32Array.from(plan.trainIndices);
    shuffleInPlace(order, orderRandom.next);
    let batchIndex = 0;
    if (epoch === startEpoch && skipBatches > 0) batchIndex = skipBatches;
    else totals = { loss: 0, correct: 0, seen: 0 };

    for (; batchIndex * config.batchSize < order.length; batchIndex++) {
      if (hooks.shouldStop() || step >= plan.totalSteps) break;
      const began = performance.now();
      const batch = order.subarray(batchIndex * config.batchSize, (batchIndex + 1) * config.batchSize);
      const pixels = prepareBatch(batch);
      learningRate = learningRateAt(config, step, timing);
      const [loss, correct, correct5, globalSquare, ...layerSquares] = trainStep(pixels, gatherLabels(dataset.train, batch), learningRate);
      step++;
      if (!Number.isFinite(loss)) throw new DivergenceError(step, learningRate, loss);
      const seconds = (performance.now() - began) / 1000;
      totals.loss += loss * batch.length;
      totals.correct += correct;
      totals.seen += batch.length;
      const time = Date.now();
      hooks.onMetric({
        type: 'step',
        step,
        epoch,
        loss,
        accuracy: correct / batch.length,
        ...(withTop5 ? { top5Accuracy: correct5 / batch.length } : {}),
        learningRate,
        imagesPerSec: batch.length / Math.max(seconds, 1e-9),
        gradNorm: Math.sqrt(globalSquare),
        time,
      });
      if (config.perLayerGradNorms) {
        hooks.onMetric({ type: 'grads', step, epoch, layers: Object.fromEntries(layers.map((layer, i) => [layer, Math.sqrt(layerSquares[i])])), time });
      }
      await yieldToEvents();
    }

    const complete = batchIndex * config.batchSize >= order.length;
    if (!complete && totals.seen === 0) {
      await hooks.onCheckpoint?.({ state: snapshot(epoch - 1, batchIndex, orderRandomState), metric: null, isBest: false, model, optimizer });
      return hooks.shouldStop() ? 'stopped' : 'completed';
    }
    const validation = evaluate(model, dataset.train, plan.validationIndices, norm, channels, classes, Math.max(config.batchSize, 64), probabilities);
    const metric: EpochMetric = {
      type: 'epoch',
      epoch,
      step,
      trainLoss: totals.loss / totals.seen,
      trainAccuracy: totals.correct / totals.seen,
      valLoss: Number.isFinite(validation.loss) ? validation.loss : null,
      valAccuracy: Number.isFinite(validation.accuracy) ? validation.accuracy : null,
      learningRate,
      time: Date.now(),
    };
    if (!complete) {
      // A stop or the step limit ended the epoch early: reported, marked partial, and resumable mid-epoch.
      metric.partial = true;
      hooks.onMetric(metric);
      await hooks.onCheckpoint?.({ state: snapshot(epoch - 1, batchIndex, orderRandomState), metric, isBest: false, model, optimizer });
      return hooks.shouldStop() ? 'stopped' : 'completed';
    }
    const score = monitoredValue(metric, monitor);
    const isBest = improves(score, best.score, monitor, minDelta);
    if (isBest) {
      best = { metric: monitor, score, epoch };
      epochsWithoutImprovement = 0;
      metric.best = true;
    } else {
      epochsWithoutImprovement++;
    }
    const earlyStop = config.earlyStopping !== undefined && epochsWithoutImprovement >= config.earlyStopping.patience && epoch < config.epochs;
    if (earlyStop) metric.earlyStopped = true;
    hooks.onMetric(metric);
    totals = { loss: 0, correct: 0, seen: 0 };
    await hooks.onCheckpoint?.({ state: snapshot(epoch, 0, orderRandom.state), metric, isBest, model, optimizer });
    if (earlyStop) return 'completed';
    if (hooks.shouldStop()) return 'stopped';
    if (step >= plan.totalSteps) return 'completed';
  }
  return 'completed';
}

/**
 * The training loop (not model.fit): seeded data order, one optimizer step per batch, metrics per
 * step and per epoch, validation every epoch, a checkpoint hook at each epoch end, and a stop flag
 * checked between steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { EpochMetric, MetricEvent, TrainConfig } from '../contract';
import { channelStats, gatherBatch, gatherLabels, type Normalization } from '../data/batches';
import type { LoadedDataset, Split } from '../data/datasets';
import { createOptimizer } from './optimizers';
import { createRandom, shuffleInPlace } from './random';

export interface TrainPlan {
  trainIndices: Uint32Array;
  validationIndices: Uint32Array;
  stepsPerEpoch: number;
  totalSteps: number;
}

export interface TrainLoopHooks {
  onStart?(plan: TrainPlan): void;
  onMetric(event: MetricEvent): void;
  /** Called after validation at the end of each epoch (and once more when stopped mid-epoch). */
  onCheckpoint?(state: { epoch: number; step: number; metric: EpochMetric | null; model: LayersModel; optimizer: tf.Optimizer }): Promise<void>;
  shouldStop(): boolean;
}

export type LoopOutcome = 'completed' | 'stopped';

export class DivergenceError extends Error {}

const DECOUPLED_WEIGHT_DECAY = 1e-2;

/** Splits the training set into training and validation indices, stratified by class and seeded. */
export function planTraining(config: TrainConfig, train: Split): TrainPlan {
  const random = createRandom(config.seed);
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
    shuffleInPlace(members, random);
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

/** True when the model ends in a softmax layer (probabilities); otherwise its outputs are logits. */
function outputsProbabilities(model: LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  return (last.getConfig() as { activation?: string }).activation === 'softmax';
}

function mainOutput(output: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(output) ? output[0] : output;
}

function crossEntropy(output: tf.Tensor, labels: tf.Tensor, classes: number, probabilities: boolean): tf.Scalar {
  const oneHot = tf.oneHot(labels as tf.Tensor1D, classes);
  if (probabilities) {
    const clipped = tf.clipByValue(output, 1e-7, 1);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(clipped)), -1))) as tf.Scalar;
  }
  return tf.losses.softmaxCrossEntropy(oneHot, output) as tf.Scalar;
}

function correctCount(output: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(output, -1), tf.cast(labels, 'int32')), 'float32'));
}

function isDecayed(variableName: string): boolean {
  // Weight decay skips batch-norm parameters and biases by default.
  return !/(gamma|beta|bias|moving_)/.test(variableName);
}

function evaluate(model: LayersModel, split: Split, indices: Uint32Array, norm: Normalization, channels: number, classes: number, batchSize: number, probabilities: boolean): { loss: number; accuracy: number } {
  if (indices.length === 0) return { loss: NaN, accuracy: NaN };
  const [height, width] = model.inputs[0].shape.slice(1) as number[];
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.subarray(start, start + batchSize);
    const [loss, right] = tf.tidy(() => {
      const x = tf.tensor4d(gatherBatch(split, batch, channels, norm), [batch.length, height, width, channels]);
      const y = tf.tensor1d(gatherLabels(split, batch), 'int32');
      const output = mainOutput(model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[]);
      return [tf.mul(crossEntropy(output, y, classes, probabilities), batch.length), correctCount(output, y)];
    });
    lossSum += readScalar(loss);
    correct += readScalar(right);
  }
  return { loss: lossSum / indices.length, accuracy: correct / indices.length };
}

function readScalar(t: tf.Tensor): number {
  const value = t.dataSync()[0];
  t.dispose();
  return value;
}

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runTraining(config: TrainConfig, dataset: LoadedDataset, model: LayersModel, hooks: TrainLoopHooks): Promise<LoopOutcome> {
  const [height, width, channels] = dataset.info.input;
  const classes = dataset.info.classes.length;
  const plan = planTraining(config, dataset.train);
  hooks.onStart?.(plan);
  const norm = channelStats(dataset.train, channels, plan.trainIndices);
  const optimizer = createOptimizer(config.optimizer, config.learningRate);
  const probabilities = outputsProbabilities(model);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const decayed = config.optimizer === 'adamw' ? trainable.filter((v) => isDecayed(v.name)) : [];
  const random = createRandom(config.seed + 1);
  const order = new Uint32Array(plan.trainIndices);
  const batchBuffer = new Float32Array(config.batchSize * height * width * channels);
  let step = 0;

  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    shuffleInPlace(order, random);
    let epochLoss = 0;
    let epochCorrect = 0;
    let epochSeen = 0;
    for (let start = 0; start < order.length; start += config.batchSize) {
      if (hooks.shouldStop() || step >= plan.totalSteps) break;
      const began = performance.now();
      const batch = order.subarray(start, start + config.batchSize);
      const pixels = gatherBatch(dataset.train, batch, channels, norm, batchBuffer.subarray(0, batch.length * height * width * channels));
      const [lossTensor, rightTensor] = tf.tidy(() => {
        const x = tf.tensor4d(pixels, [batch.length, height, width, channels]);
        const y = tf.tensor1d(gatherLabels(dataset.train, batch), 'int32');
        let right: tf.Scalar | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const output = mainOutput(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
          right = tf.keep(correctCount(output, y));
          return crossEntropy(output, y, classes, probabilities);
        }, trainable);
        optimizer.applyGradients(grads);
        for (const variable of decayed) {
          variable.assign(tf.mul(variable, 1 - config.learningRate * DECOUPLED_WEIGHT_DECAY));
        }
        return [value, right!];
      });
      const loss = readScalar(lossTensor);
      const correct = readScalar(rightTensor);
      step++;
      if (!Number.isFinite(loss)) {
        throw new DivergenceError(
          `the loss became ${loss} at step ${step} with learning rate ${config.learningRate}; try a lower learning rate`,
        );
      }
      const seconds = (performance.now() - began) / 1000;
      epochLoss += loss * batch.length;
      epochCorrect += correct;
      epochSeen += batch.length;
      hooks.onMetric({
        type: 'step',
        step,
        epoch,
        loss,
        accuracy: correct / batch.length,
        learningRate: config.learningRate,
        imagesPerSec: batch.length / Math.max(seconds, 1e-9),
        time: Date.now(),
      });
      await yieldToEvents();
    }
    if (epochSeen === 0) {
      await hooks.onCheckpoint?.({ epoch: epoch - 1, step, metric: null, model, optimizer });
      return hooks.shouldStop() ? 'stopped' : 'completed';
    }
    // A stop or the step limit can end an epoch early: it is still reported, marked partial.
    const partial = epochSeen < order.length;
    const validation = evaluate(model, dataset.train, plan.validationIndices, norm, channels, classes, Math.max(config.batchSize, 64), probabilities);
    const metric: EpochMetric = {
      type: 'epoch',
      epoch,
      step,
      trainLoss: epochLoss / epochSeen,
      trainAccuracy: epochCorrect / epochSeen,
      valLoss: Number.isFinite(validation.loss) ? validation.loss : null,
      valAccuracy: Number.isFinite(validation.accuracy) ? validation.accuracy : null,
      time: Date.now(),
      ...(partial ? { partial: true } : {}),
    };
    hooks.onMetric(metric);
    await hooks.onCheckpoint?.({ epoch: partial ? epoch - 1 : epoch, step, metric, model, optimizer });
    if (hooks.shouldStop()) return 'stopped';
    if (step >= plan.totalSteps) return 'completed';
  }
  return 'completed';
}

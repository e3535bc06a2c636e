import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpochMetric, GradsMetric, MetricEvent, StepMetric, TrainConfig } from '../../../src-main/contract';
import '../../../src-main/engine';
import { loadCheckpoint, saveCheckpoint } from '../../../src-main/train/checkpoint';
import { buildTrainingModel, DivergenceError, runTraining, type CheckpointRequest } from '../../../src-main/train/loop';
import { onBackend, stepLosses, tinyConvNet, tinyDataset, trainConfig } from './helpers';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cvb-train-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const dataset = tinyDataset();
const tinyResNet = (config: TrainConfig) => buildTrainingModel(config, dataset.info.input, 10, { widthMultiplier: 0.25 });

interface Recorded {
  events: MetricEvent[];
  outcome: string;
  checkpoints: CheckpointRequest['state'][];
}

/** Runs the loop, optionally stopping after `stopAfter` steps and saving a checkpoint to `dir`. */
async function train(config: TrainConfig, model: LayersModel, opts: { stopAfter?: number; dir?: string; resumeFrom?: string; onEpoch?: () => void } = {}): Promise<Recorded> {
  const events: MetricEvent[] = [];
  const checkpoints: CheckpointRequest['state'][] = [];
  const resume = opts.resumeFrom ? loadCheckpoint(opts.resumeFrom, model) : undefined;
  let steps = 0;
  const outcome = await runTraining(
    config,
    dataset,
    model,
    {
      shouldStop: () => opts.stopAfter !== undefined && steps >= opts.stopAfter,
      onMetric: (event) => {
        events.push(event);
        if (event.type === 'step') steps++;
      },
      onCheckpoint: async ({ state, model: trained, optimizer }) => {
        checkpoints.push(state);
        if (opts.dir) await saveCheckpoint(opts.dir, 'last', trained, optimizer, state);
        opts.onEpoch?.();
      },
    },
    resume ? { resume } : {},
  );
  return { events, outcome, checkpoints };
}

function maxDifference(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(0, ...a.map((value, i) => Math.abs(value - b[i])));
}

describe('the training loop on cpu', () => {
  beforeAll(() => onBackend('cpu'));

  it('reports loss, top-1, top-5, learning rate, images/s and gradient norm every step, and per-layer norms when asked', async () => {
    const config = trainConfig({ epochs: 1, perLayerGradNorms: true, schedule: { type: 'cosine' } });
    const { events } = await train(config, tinyConvNet(1));
    const steps = events.filter((e): e is StepMetric => e.type === 'step');
    expect(steps.length).toBe(3);
    for (const step of steps) {
      expect(step.top5Accuracy).toBeGreaterThanOrEqual(step.accuracy);
      expect(step.gradNorm).toBeGreaterThan(0);
      expect(step.imagesPerSec).toBeGreaterThan(0);
    }
    expect(steps[0].learningRate).toBeCloseTo(0.05, 10);
    expect(steps[2].learningRate).toBeLessThan(steps[1].learningRate);
    const grads = events.filter((e): e is GradsMetric => e.type === 'grads');
    expect(grads.length).toBe(3);
    expect(Object.keys(grads[0].layers).sort()).toEqual(['bn', 'conv', 'fc']);
    // The layers' norms add up (in squares) to the global norm.
    const total = Math.sqrt(Object.values(grads[0].layers).reduce((sum, n) => sum + n * n, 0));
    expect(total).toBeCloseTo(steps[0].gradNorm!, 4);
    const epoch = events.find((e): e is EpochMetric => e.type === 'epoch')!;
    expect(epoch.valAccuracy).not.toBeNull();
    expect(epoch.best).toBe(true);
  });

  it('gives identical initial weights and identical losses for the same seed, different ones for another', async () => {
    const config = trainConfig({ epochs: 2 });
    const first = tinyResNet(config);
    const second = tinyResNet(config);
    const other = tinyResNet({ ...config, seed: 4 });
    const values = (m: LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    expect(values(second)).toEqual(values(first));
    expect(values(other)).not.toEqual(values(first));
    const a = await train(config, first);
    const b = await train(config, second);
    expect(stepLosses(b.events)).toEqual(stepLosses(a.events));
    // Dropout masks come from the seeded stream too.
    const c = await train(config, tinyConvNet(5, undefined, 10, 0.5));
    const d = await train(config, tinyConvNet(5, undefined, 10, 0.5));
    expect(stepLosses(d.events)).toEqual(stepLosses(c.events));
  });

  it('keeps the number of tensors the same after every epoch', async () => {
    const config = trainConfig({ epochs: 4, optimizer: 'adamw', gradClipNorm: 1, labelSmoothing: 0.1, perLayerGradNorms: true, schedule: { type: 'onecycle' } });
    const counts: number[] = [];
    await train(config, tinyConvNet(2), { dir: tempDir(), onEpoch: () => counts.push(tf.memory().numTensors) });
    expect(counts.length).toBe(4);
    expect(new Set(counts).size).toBe(1);
  });

  it('stops early when the monitored metric stops improving, and marks the best epoch', async () => {
    // A learning rate this small changes nothing visible: validation loss cannot improve by 10.
    const config = trainConfig({ epochs: 10, learningRate: 1e-6, earlyStopping: { patience: 2, metric: 'valLoss', minDelta: 10 } });
    const { events, outcome } = await train(config, tinyConvNet(3, undefined, 10, 0));
    const epochs = events.filter((e): e is EpochMetric => e.type === 'epoch');
    expect(outcome).toBe('completed');
    expect(epochs.length).toBe(3);
    expect(epochs[0].best).toBe(true);
    expect(epochs[2].earlyStopped).toBe(true);
  });

  it('stops on a NaN loss with a message that names the step and the learning rate, after the last good checkpoint', async () => {
    const config = trainConfig({ epochs: 3, learningRate: 0.2, optimizer: 'sgd' });
    const model = tinyConvNet(4, undefined, 10, 0);
    const poison = () => {
      const fc = model.getLayer('fc');
      const [kernel, bias] = fc.getWeights();
      const nan = tf.fill(kernel.shape, NaN);
      fc.setWeights([nan, bias]);
      nan.dispose();
    };
    const checkpoints: number[] = [];
    const error = await runTraining(config, dataset, model, {
      shouldStop: () => false,
      onMetric: () => {},
      onCheckpoint: async ({ state }) => {
        checkpoints.push(state.step);
        poison();
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DivergenceError);
    const divergence = error as DivergenceError;
    expect(divergence.step).toBe(4);
    expect(divergence.message).toContain('the loss became NaN at step 4 with learning rate 0.2;');
    expect(divergence.message).toContain('lower learning rate (e.g. 0.02)');
    // Only the checkpoint from before the divergence was written.
    expect(checkpoints).toEqual([3]);
  });
});

describe.each(['cpu', 'wasm'] as const)('resuming on %s', (backend) => {
  beforeAll(() => onBackend(backend));

  it.each([
    ['mid-epoch', 4],
    ['at an epoch boundary', 3],
  ])('continues the same curve after a stop %s (losses within 1e-5)', async (_, stopAfter) => {
    const config = trainConfig({ epochs: 3, optimizer: backend === 'cpu' ? 'adam' : 'momentum', learningRate: backend === 'cpu' ? 0.01 : 0.05, weightDecay: 1e-3 });
    const whole = await train(config, tinyResNet(config));
    const dir = tempDir();
    const first = await train(config, tinyResNet(config), { stopAfter, dir });
    expect(first.outcome).toBe('stopped');
    const rest = await train(config, tinyResNet(config), { resumeFrom: join(dir, 'last') });
    expect(rest.outcome).toBe('completed');
    const resumed = [...stepLosses(first.events), ...stepLosses(rest.events)];
    expect(maxDifference(resumed, stepLosses(whole.events))).toBeLessThanOrEqual(1e-5);
    // The epoch that was cut in two reports the same training loss as the uninterrupted one.
    const lastEpoch = (events: MetricEvent[]) => events.filter((e): e is EpochMetric => e.type === 'epoch' && !e.partial).pop()!;
    expect(lastEpoch(rest.events).trainLoss).toBeCloseTo(lastEpoch(whole.events).trainLoss, 5);
  });
});

describe('resuming with dropout and per-step schedules', () => {
  beforeAll(() => onBackend('cpu'));

  it('continues the dropout masks, the augmentation and the learning rate exactly', async () => {
    const config = trainConfig({
      epochs: 3, optimizer: 'rmsprop', learningRate: 0.01, schedule: { type: 'cosine' }, warmupEpochs: 1, gradClipNorm: 0.5,
      augmentation: { randomCrop: { padding: 2 }, horizontalFlip: true, colorJitter: { brightness: 0.2 } },
    });
    const whole = await train(config, tinyConvNet(9, undefined, 10, 0.5));
    const dir = tempDir();
    const first = await train(config, tinyConvNet(9, undefined, 10, 0.5), { stopAfter: 5, dir });
    const rest = await train(config, tinyConvNet(11, undefined, 10, 0.5), { resumeFrom: join(dir, 'last') });
    const rates = (events: MetricEvent[]) => events.filter((e): e is StepMetric => e.type === 'step').map((e) => e.learningRate);
    expect([...rates(first.events), ...rates(rest.events)]).toEqual(rates(whole.events));
    expect(maxDifference([...stepLosses(first.events), ...stepLosses(rest.events)], stepLosses(whole.events))).toBeLessThanOrEqual(1e-5);
  });
});

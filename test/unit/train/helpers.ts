/** Tiny in-memory datasets and models so the training tests run in seconds on busy cores. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TrainConfigSchema, type BudgetFit, type MetricEvent, type StepMetric, type TrainConfig, type TrainConfigInput } from '../../../src-main/contract';
import type { LoadedDataset } from '../../../src-main/data/datasets';
import { loadCheckpoint, saveCheckpoint, type CheckpointState } from '../../../src-main/train/checkpoint';
import { runTraining, type TrainOptions } from '../../../src-main/train/loop';
import { Mulberry32, withMathRandom } from '../../../src-main/train/random';

/**
 * `count` images of size×size×channels whose class shows in their brightness pattern, so a model
 * can learn something in a few steps.
 */
export function tinyDataset(count = 48, classes = 10, size = 8, channels = 3, seed = 7): LoadedDataset {
  const random = new Mulberry32(seed);
  const pixels = size * size * channels;
  const images = new Uint8Array(count * pixels);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % classes;
    labels[n] = label;
    for (let p = 0; p < pixels; p++) {
      const signal = (p * (label + 1)) % 7 === 0 ? 120 : 0;
      images[n * pixels + p] = Math.min(255, signal + Math.floor(random.next() * 120));
    }
  }
  const split = { images, labels, count };
  return {
    info: {
      id: 'tiny',
      name: 'tiny',
      classes: Array.from({ length: classes }, (_, i) => `class${i}`),
      input: [size, size, channels],
      trainCount: count,
      testCount: count,
      source: 'test',
    },
    train: split,
    test: split,
  };
}

/** conv → flatten → dropout → dense: small, with a random op in its forward pass. */
export function tinyConvNet(seed: number, input: [number, number, number] = [8, 8, 3], classes = 10, dropout = 0.25): tfl.LayersModel {
  return withMathRandom(new Mulberry32(seed).next, () => {
    const x = tfl.input({ shape: input });
    let y = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv' }).apply(x) as tfl.SymbolicTensor;
    y = tfl.layers.batchNormalization({ name: 'bn' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.activation({ activation: 'relu' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.flatten().apply(y) as tfl.SymbolicTensor;
    if (dropout > 0) y = tfl.layers.dropout({ rate: dropout }).apply(y) as tfl.SymbolicTensor;
    const logits = tfl.layers.dense({ units: classes, name: 'fc' }).apply(y) as tfl.SymbolicTensor;
    return tfl.model({ inputs: x, outputs: logits });
  });
}

export function trainConfig(overrides: Partial<TrainConfigInput> = {}): TrainConfig {
  return TrainConfigSchema.parse({ model: 'resnet20', dataset: 'tiny', epochs: 3, batchSize: 16, learningRate: 0.05, optimizer: 'momentum', validationFraction: 0.25, seed: 3, ...overrides });
}

export function stepLosses(events: MetricEvent[]): number[] {
  return events.filter((e): e is StepMetric => e.type === 'step').map((e) => e.loss);
}

export async function onBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') {
    const { initBackend } = await import('../../../src-main/engine');
    await initBackend('wasm');
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  }
}

/** Thrown from a checkpoint hook to end a run the way a SIGKILL would, right after the checkpoint. */
class Killed extends Error {}

export interface TestRunOptions {
  /** Saves the first checkpoint written inside an epoch at or after this step into the folder, then ends the run there. */
  killAtStep?: number;
  /** A checkpoint folder (as `<dir>/last`) to resume from. */
  resumeFrom?: string;
  /** The loop's clock; by default one that advances a minute per reading. */
  clock?: () => number;
  /** Sees each metric line after it is collected (a test's clock can advance on steps). */
  onMetric?: (event: MetricEvent) => void;
  /** The loop's other options (the pipeline is 'thread'). */
  loop?: Partial<TrainOptions>;
}

/**
 * Trains `model` (disposed at the end) on `dataset` through the real loop and collects what it
 * reported: its metric lines, its time-budget fits, the checkpoint a kill saved in `dir`, and its
 * outcome (null when it was killed).
 */
export async function trainForTest(
  config: TrainConfig,
  dataset: LoadedDataset,
  model: tfl.LayersModel,
  dir: string,
  opts: TestRunOptions = {},
): Promise<{ events: MetricEvent[]; budgets: BudgetFit[]; saved: CheckpointState[]; outcome: string | null }> {
  const events: MetricEvent[] = [];
  const budgets: BudgetFit[] = [];
  const saved: CheckpointState[] = [];
  let minutes = 0;
  let outcome: string | null = null;
  try {
    outcome = await runTraining(
      config,
      dataset,
      model,
      {
        shouldStop: () => false,
        onMetric: (event) => {
          events.push(event);
          opts.onMetric?.(event);
        },
        onBudget: (fit) => budgets.push(fit),
        onCheckpoint: async ({ state, metric, optimizer }) => {
          if (opts.killAtStep === undefined || metric !== null || state.step < opts.killAtStep) return;
          await saveCheckpoint(dir, 'last', model, optimizer, state, {});
          saved.push(state);
          throw new Killed();
        },
      },
      {
        pipeline: 'thread',
        clock: opts.clock ?? (() => 60_000 * minutes++),
        ...opts.loop,
        ...(opts.resumeFrom ? { resume: loadCheckpoint(opts.resumeFrom, model) } : {}),
      },
    );
  } catch (error) {
    if (!(error instanceof Killed)) throw error;
  } finally {
    model.dispose();
  }
  return { events, budgets, saved, outcome };
}

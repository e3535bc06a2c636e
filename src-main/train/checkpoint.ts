/**
 * Checkpoints: a folder with model.json (TF.js layers topology + weights manifest), weights.bin,
 * optimizer.json + optimizer.bin and state.json (step, epoch, the random streams' states and the
 * loop's counters). Each is written into a temporary folder that is renamed into place, so a crash
 * leaves the previous checkpoint whole.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MetricEventSchema, type BudgetFit, type MonitoredMetric } from '../contract';
import { atomicWriteFileSync, fsyncDir, writeFileDurableSync } from '../store/atomic';

/** Everything besides weights and optimizer slots that a resumed run needs to continue the same curve. */
export interface CheckpointState {
  /** Completed epochs. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  savedAt: string;
  seed: number;
  /** Batches of epoch `epoch + 1` already trained (above 0 when the run stopped mid-epoch). */
  batchInEpoch: number;
  /** The data-order generator's state at the start of epoch `epoch + 1`, before its shuffle. */
  orderRandomState: number;
  /** The state of the generator behind TF.js's own random ops (dropout masks). */
  tensorRandomState: number;
  /** The state of the augmentation generator (absent in checkpoints written before augmentation). */
  augmentRandomState?: number;
  /** Running sums of the epoch in progress, so its reported train loss is the same as without a stop. */
  epochTotals: { loss: number; correct: number; seen: number };
  best: { metric: MonitoredMetric; score: number | null; epoch: number | null };
  epochsWithoutImprovement: number;
  learningRate: number;
  /** What a time budget fitted, so a resume trains the same steps on the same schedule. */
  budget?: BudgetFit;
}

/** One optimizer slot, as `optimizer.getWeights()` returns and `setWeights()` takes them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
}

async function serializeOptimizer(optimizer: tf.Optimizer): Promise<{ manifest: ManifestEntry[]; data: Uint8Array }> {
  const weights = await optimizer.getWeights();
  try {
    const manifest = weights.map(({ name, tensor }) => ({ name, shape: tensor.shape, dtype: tensor.dtype }));
    const chunks = await Promise.all(weights.map(({ tensor }) => tensor.data()));
    const total = chunks.reduce((n, chunk) => n + chunk.byteLength, 0);
    const data = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      data.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset);
      offset += chunk.byteLength;
    }
    return { manifest, data };
  } finally {
    // getWeights() makes a fresh scalar for the iteration count; the other entries are the optimizer's own.
    weights.filter((w) => w.name === 'iter').forEach((w) => w.tensor.dispose());
  }
}

/** Writes checkpoints/<name>/ whole or not at all. */
/**
 * @param extraFiles written inside the checkpoint folder with the rest (e.g. preprocessing.json),
 *   so they are renamed into place together.
 */
export async function saveCheckpoint(
  checkpointsDir: string,
  name: string,
  model: LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
  extraFiles: Record<string, string> = {},
): Promise<string> {
  const target = join(checkpointsDir, name);
  const tmp = join(checkpointsDir, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      const weights = weightData === undefined ? new Uint8Array(0) : new Uint8Array(Array.isArray(weightData) ? await new Blob(weightData).arrayBuffer() : weightData);
      writeFileDurableSync(join(tmp, 'weights.bin'), weights);
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileDurableSync(join(tmp, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  const optimizerState = await serializeOptimizer(optimizer);
  writeFileDurableSync(join(tmp, 'optimizer.bin'), optimizerState.data);
  writeFileDurableSync(join(tmp, 'optimizer.json'), JSON.stringify({ className: optimizer.getClassName(), config: optimizer.getConfig(), weights: optimizerState.manifest }));
  writeFileDurableSync(join(tmp, 'state.json'), JSON.stringify(state, null, 2));
  for (const [file, content] of Object.entries(extraFiles)) writeFileDurableSync(join(tmp, file), content);
  fsyncDir(tmp);
  const old = join(checkpointsDir, `.${name}.old-${process.pid}`);
  if (existsSync(target)) renameSync(target, old);
  renameSync(tmp, target);
  rmSync(old, { recursive: true, force: true });
  fsyncDir(checkpointsDir);
  return target;
}

export class CheckpointError extends Error {}

function readBinary(file: string): ArrayBuffer {
  const bytes = readFileSync(file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function readCheckpointState(dir: string): CheckpointState {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) throw new CheckpointError(`no checkpoint in ${dir}`);
  return JSON.parse(readFileSync(file, 'utf8')) as CheckpointState;
}

/**
 * Loads a checkpoint's weights into `model` (built by the zoo with the run's options, so the
 * architecture is the same) and returns its state and the optimizer's slots, in order, for
 * `optimizer.setWeights`; the caller disposes those tensors afterwards.
 */
export function loadCheckpoint(dir: string, model: LayersModel): { state: CheckpointState; optimizerWeights: NamedTensor[]; optimizerClass: string } {
  const state = readCheckpointState(dir);
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const weights = model.weights;
  if (specs.length !== weights.length) {
    throw new CheckpointError(`the checkpoint holds ${specs.length} weights but the model has ${weights.length}; was the model changed?`);
  }
  const decoded = tf.io.decodeWeights(readBinary(join(dir, 'weights.bin')), specs);
  // Matched by position: variable names get numeric suffixes when a process builds a model twice.
  const tensors = specs.map((spec) => decoded[spec.name]);
  try {
    weights.forEach((weight, i) => {
      if (!tf.util.arraysEqual(weight.shape as number[], tensors[i].shape)) {
        throw new CheckpointError(`checkpoint weight ${specs[i].name} has shape [${tensors[i].shape}] but ${weight.name} has [${weight.shape}]`);
      }
    });
    model.setWeights(tensors);
  } finally {
    tf.dispose(Object.values(decoded));
  }
  const optimizerJson = JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8')) as { className: string; weights: ManifestEntry[] };
  const slots = tf.io.decodeWeights(readBinary(join(dir, 'optimizer.bin')), optimizerJson.weights as tf.io.WeightsManifestEntry[]);
  const optimizerWeights = optimizerJson.weights.map(({ name }) => ({ name, tensor: slots[name] }));
  return { state, optimizerWeights, optimizerClass: optimizerJson.className };
}

/**
 * Makes metrics.jsonl agree with a checkpoint before a resumed run appends to it: drops a torn
 * last line, every line after the checkpoint's step, and the partial-epoch lines a stop wrote (the
 * resumed run reports that epoch whole), so the curve has no duplicates. Returns the lines kept.
 */
export function truncateMetrics(file: string, step: number): number {
  if (!existsSync(file)) return 0;
  const kept: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let parsed: ReturnType<typeof MetricEventSchema.safeParse>;
    try {
      parsed = MetricEventSchema.safeParse(JSON.parse(line));
    } catch {
      continue;
    }
    if (!parsed.success) continue;
    const event = parsed.data;
    if (event.step > step || (event.type === 'epoch' && event.partial)) continue;
    kept.push(line);
  }
  atomicWriteFileSync(file, kept.map((line) => `${line}\n`).join(''));
  return kept.length;
}

/**
 * Loaded networks, cached by run, checkpoint and the checkpoint's modification time (a running
 * run replaces its last and best checkpoints), least recently used evicted and disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordedTrainConfigSchema, type CheckpointName, type InferLayer, type PreprocessingInfo } from '../contract';
import { channelStats } from '../data/batches';
import { loadDataset } from '../data/datasets';
import { describePreprocessing, readPreprocessing, type Preprocessing } from '../data/preprocess';
import { RunNotFoundError, RunStore, type RunRecord } from '../store/runs';
import { planTraining } from '../train/loop';
import '../zoo';
import { notFound, InferError } from './errors';
import { defaultCamLayer, isSpatial, layerShape } from './gradcam';

export interface LoadedModel {
  key: string;
  runId: string;
  /** The checkpoint that was loaded (best falls back to last when a run has no best yet). */
  checkpoint: CheckpointName;
  modelName: string;
  dataset: string;
  model: LayersModel;
  preprocessing: Preprocessing;
  preprocessingSource: PreprocessingInfo['source'];
  layers: InferLayer[];
  camLayer: string | null;
  seBlocks: string[];
  /** The network's first output is already a softmax (else prediction applies one). */
  endsInSoftmax: boolean;
  loadMs: number;
}

export function checkpointDir(store: RunStore, runId: string, name: CheckpointName): string {
  return join(store.runDir(runId), 'checkpoints', name);
}

function readRun(store: RunStore, runId: string): RunRecord {
  try {
    return store.read(runId);
  } catch (error) {
    if (error instanceof RunNotFoundError) throw notFound(error.message, 'runId');
    throw error;
  }
}

/** Where the weights of `runId`'s `wanted` checkpoint are, and which checkpoint that is. */
/**
 * The checkpoint to load (best falls back to last) and its version stamp. One stat per request on
 * the warm path; the run's record is read only when no checkpoint is there, to say which is missing.
 */
export function resolveCheckpoint(store: RunStore, runId: string, wanted: CheckpointName): { dir: string; checkpoint: CheckpointName; stamp: number } {
  const order: CheckpointName[] = wanted === 'best' ? ['best', 'last'] : ['last'];
  for (const name of order) {
    const dir = checkpointDir(store, runId, name);
    const stamp = statSync(join(dir, 'model.json'), { throwIfNoEntry: false })?.mtimeMs;
    if (stamp !== undefined) return { dir, checkpoint: name, stamp };
  }
  readRun(store, runId);
  throw notFound(`run "${runId}" has no ${wanted} checkpoint yet: it is saved at the end of each epoch and when a run stops`, 'checkpoint');
}

async function readModel(dir: string): Promise<LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    format?: string;
    generatedBy?: string;
    convertedBy?: string | null;
  };
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy ?? undefined,
    }),
  });
}

/**
 * The checkpoint's preprocessing.json (or the run folder's); for runs trained before it was
 * saved, the same statistics computed again from the run's dataset, seed and validation split.
 */
async function resolvePreprocessing(store: RunStore, record: RunRecord, dir: string, datasetRoots: string[]): Promise<{ preprocessing: Preprocessing; source: PreprocessingInfo['source'] }> {
  const saved = readPreprocessing(dir) ?? readPreprocessing(store.runDir(record.id));
  if (saved) return { preprocessing: saved, source: 'checkpoint' };
  const config = RecordedTrainConfigSchema.parse(record.config);
  let dataset;
  try {
    dataset = await loadDataset({ roots: datasetRoots }, config.dataset);
  } catch (error) {
    throw new InferError({
      code: 'unavailable',
      field: 'runId',
      message: `run "${record.id}" was saved without its preprocessing and its dataset "${config.dataset}" cannot be read to compute it again: ${(error as Error).message}`,
    });
  }
  const { trainIndices } = planTraining(config, dataset.train, dataset.val);
  const norm = channelStats(dataset.train, dataset.info.input[2], trainIndices);
  return { preprocessing: describePreprocessing(dataset.info.input, dataset.info.classes, norm), source: 'recomputed' };
}

function describeLayers(model: LayersModel): { layers: InferLayer[]; seBlocks: string[] } {
  const layers = model.layers.map((layer) => {
    const outputShape = layerShape(model, layer.name);
    return { name: layer.name, type: layer.getClassName(), outputShape, spatial: isSpatial(outputShape) };
  });
  const seBlocks = layers.filter((layer) => /_se_gate$/.test(layer.name)).map((layer) => layer.name.replace(/_gate$/, ''));
  return { layers, seBlocks };
}

export async function loadModel(store: RunStore, runId: string, wanted: CheckpointName, datasetRoots: string[]): Promise<LoadedModel> {
  const started = performance.now();
  const record = readRun(store, runId);
  const { dir, checkpoint, stamp } = resolveCheckpoint(store, runId, wanted);
  const { preprocessing, source } = await resolvePreprocessing(store, record, dir, datasetRoots);
  const model = await readModel(dir);
  const inputShape = model.inputs[0].shape.slice(1);
  if (inputShape.some((n, i) => n !== null && n !== preprocessing.input[i])) {
    model.dispose();
    throw new Error(`the checkpoint's input is ${inputShape.join('×')} but its preprocessing says ${preprocessing.input.join('×')}`);
  }
  const { layers, seBlocks } = describeLayers(model);
  return {
    key: cacheKey(runId, checkpoint, stamp),
    runId,
    checkpoint,
    modelName: record.config.model,
    dataset: record.config.dataset,
    model,
    preprocessing,
    preprocessingSource: source,
    layers,
    camLayer: defaultCamLayer(model),
    endsInSoftmax: endsInSoftmax(model),
    seBlocks,
    loadMs: performance.now() - started,
  };
}

/** Whether the network's first output already is a softmax (prediction and evaluation apply one otherwise). */
export function endsInSoftmax(model: LayersModel): boolean {
  const last = model.outputLayers[0] ?? model.layers[model.layers.length - 1];
  return (last.getConfig() as { activation?: string }).activation === 'softmax';
}

export function cacheKey(runId: string, checkpoint: CheckpointName, stamp: number): string {
  return `${runId}/${checkpoint}@${stamp}`;
}

/** A least-recently-used set of loaded models; an evicted model's weights are disposed. */
export class ModelCache {
  private readonly entries = new Map<string, LoadedModel>();
  loads = 0;

  constructor(
    private readonly store: RunStore,
    private readonly datasetRoots: string[],
    private readonly maxModels = 4,
  ) {}

  /** The model, and whether this call loaded it. */
  async get(runId: string, wanted: CheckpointName): Promise<{ loaded: LoadedModel; fresh: boolean }> {
    const { checkpoint, stamp } = resolveCheckpoint(this.store, runId, wanted);
    const key = cacheKey(runId, checkpoint, stamp);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return { loaded: hit, fresh: false };
    }
    for (const [other, entry] of this.entries) {
      // An older version of the same checkpoint (a running run saved again) goes at once.
      if (other.startsWith(`${runId}/${checkpoint}@`)) this.evict(other, entry);
    }
    const loaded = await loadModel(this.store, runId, checkpoint, this.datasetRoots);
    this.loads++;
    this.entries.set(loaded.key, loaded);
    while (this.entries.size > this.maxModels) {
      const [oldest, entry] = this.entries.entries().next().value as [string, LoadedModel];
      this.evict(oldest, entry);
    }
    return { loaded, fresh: true };
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  private evict(key: string, entry: LoadedModel): void {
    this.entries.delete(key);
    entry.model.dispose();
  }

  clear(): void {
    for (const [key, entry] of this.entries) this.evict(key, entry);
  }
}

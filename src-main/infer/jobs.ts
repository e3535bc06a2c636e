/**
 * What the inference worker does for each request: prediction with top-k, Grad-CAM, feature maps
 * and squeeze-excitation weights. Plain functions over a model cache, so tests run them in-process.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {
  CamResult,
  InferFeatureMapsResponse,
  InferLayersResponse,
  InferPredictResponse,
  InferSeWeightsResponse,
  Prediction,
  PreprocessingInfo,
} from '../contract';
import { invalid } from './errors';
import { gradCam, layerShape } from './gradcam';
import { runGraph } from './graph';
import { displayImage, ImageRefusedError, prepareImage, type PreparedImage } from './image';
import type { LoadedModel, ModelCache } from './models';
import type { InferJob, JobImage, WorkerStats } from './protocol';
import { camOverlayPng, featureGridPng } from './render';

export interface JobContext {
  cache: ModelCache;
  backend: string;
}

type Job<K extends InferJob['kind']> = Extract<InferJob, { kind: K }>;

function preprocessingInfo(loaded: LoadedModel): PreprocessingInfo {
  const { input, classes, mean, std, resize, background } = loaded.preprocessing;
  return { input, classes, mean, std, resize, background, source: loaded.preprocessingSource };
}

/** The network's class probabilities for one prepared image (the same `model.predict` training evaluates with). */
export function classProbabilities(loaded: LoadedModel, prepared: PreparedImage): Float32Array {
  const [height, width, channels] = loaded.preprocessing.input;
  return tf.tidy(() => {
    const x = tf.tensor4d(prepared.input, [1, height, width, channels]);
    const raw = loaded.model.predict(x) as tf.Tensor | tf.Tensor[];
    const output = Array.isArray(raw) ? raw[0] : raw;
    return (loaded.endsInSoftmax ? output : tf.softmax(output)).dataSync() as Float32Array;
  }).slice();
}

export function topK(probabilities: Float32Array, classes: string[], k: number): Prediction['top'] {
  return Array.from(probabilities, (probability, index) => ({ index, probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k)
    .map(({ index, probability }) => ({ class: classes[index] ?? `class ${index}`, index, probability }));
}

function checkCamLayer(loaded: LoadedModel, layer: string | undefined, field: string): string {
  const name = layer ?? loaded.camLayer;
  if (!name) throw invalid(field, `${loaded.modelName} has no layer with a spatial output larger than 1×1 at ${loaded.preprocessing.input.join('×')}`);
  const found = loaded.layers.find((l) => l.name === name);
  if (!found) throw invalid(field, `${field}: ${loaded.modelName} has no layer "${name}" (see infer.layers)`);
  if (!found.spatial) throw invalid(field, `${field}: layer "${name}" has output ${found.outputShape.join('×')}, not a spatial map (height × width × channels)`);
  return name;
}

async function camFor(loaded: LoadedModel, prepared: PreparedImage, bytes: Uint8Array, classIndex: number, options: NonNullable<Job<'predict'>['cam']>): Promise<CamResult> {
  const layer = checkCamLayer(loaded, options.layer, 'cam.layer');
  const [height, width, channels] = loaded.preprocessing.input;
  const input = tf.tensor4d(prepared.input, [1, height, width, channels]);
  let cam;
  try {
    cam = gradCam(loaded.model, input, layer, classIndex);
  } finally {
    input.dispose();
  }
  const result: CamResult = { layer, classIndex, class: loaded.preprocessing.classes[classIndex] ?? `class ${classIndex}` };
  if (options.output !== 'overlay') result.heatmap = { width: cam.width, height: cam.height, values: Array.from(cam.values, (v) => Math.round(v * 1e4) / 1e4) };
  if (options.output !== 'heatmap') {
    const display = await displayImage(bytes, loaded.preprocessing, prepared.source);
    result.png = (await camOverlayPng(display.rgb, display.height, display.width, cam, options.opacity)).toString('base64');
  }
  return result;
}

async function predictOne(loaded: LoadedModel, image: JobImage, job: Job<'predict'>): Promise<Prediction> {
  if (image.error || !image.bytes) return { name: image.name, notes: [], error: image.error ?? 'no image data' };
  const started = performance.now();
  try {
    const prepared = await prepareImage(image.bytes, loaded.preprocessing);
    const probabilities = classProbabilities(loaded, prepared);
    const top = topK(probabilities, loaded.preprocessing.classes, job.topK);
    const prediction: Prediction = { name: image.name, top, notes: prepared.notes, source: prepared.source };
    if (job.cam) prediction.cam = await camFor(loaded, prepared, image.bytes, job.cam.classIndex ?? top![0].index, job.cam);
    prediction.ms = performance.now() - started;
    return prediction;
  } catch (error) {
    if (error instanceof ImageRefusedError) return { name: image.name, notes: [], error: error.reason };
    throw error;
  }
}

export async function predict(context: JobContext, job: Job<'predict'>): Promise<InferPredictResponse> {
  const { loaded, fresh } = await context.cache.get(job.runId, job.checkpoint);
  const classes = loaded.preprocessing.classes.length;
  if (job.cam?.classIndex !== undefined && job.cam.classIndex >= classes) {
    throw invalid('cam.classIndex', `cam.classIndex: ${job.cam.classIndex} is not a class of this run (it has ${classes}: 0–${classes - 1})`);
  }
  if (job.cam) checkCamLayer(loaded, job.cam.layer, 'cam.layer');
  const predictions: Prediction[] = [];
  for (const image of job.images) predictions.push(await predictOne(loaded, image, { ...job, topK: Math.min(job.topK, classes) }));
  return {
    runId: loaded.runId,
    model: loaded.modelName,
    dataset: loaded.dataset,
    checkpoint: loaded.checkpoint,
    preprocessing: preprocessingInfo(loaded),
    backend: context.backend,
    modelLoadMs: fresh ? loaded.loadMs : null,
    predictions,
  };
}

export async function layers(context: JobContext, job: Job<'layers'>): Promise<InferLayersResponse> {
  const { loaded } = await context.cache.get(job.runId, job.checkpoint);
  return {
    runId: loaded.runId,
    model: loaded.modelName,
    checkpoint: loaded.checkpoint,
    classes: loaded.preprocessing.classes,
    preprocessing: preprocessingInfo(loaded),
    layers: loaded.layers,
    camLayer: loaded.camLayer,
    seBlocks: loaded.seBlocks,
  };
}

async function prepareSingle(loaded: LoadedModel, image: JobImage): Promise<PreparedImage> {
  if (image.error || !image.bytes) throw invalid('image', `${image.name}: ${image.error ?? 'no image data'}`);
  try {
    return await prepareImage(image.bytes, loaded.preprocessing);
  } catch (error) {
    if (error instanceof ImageRefusedError) throw invalid('image', `${image.name}: ${error.reason}`);
    throw error;
  }
}

/** One layer's activation for one image, read from the graph run (channels last, no batch axis). */
function activationOf(loaded: LoadedModel, prepared: PreparedImage, layer: string): Float32Array {
  const [height, width, channels] = loaded.preprocessing.input;
  return tf.tidy(() => {
    const x = tf.tensor4d(prepared.input, [1, height, width, channels]);
    return runGraph(loaded.model, x, { taps: [layer] }).taps.get(layer)!.dataSync() as Float32Array;
  }).slice();
}

export async function featureMaps(context: JobContext, job: Job<'featureMaps'>): Promise<InferFeatureMapsResponse> {
  const started = performance.now();
  const { loaded } = await context.cache.get(job.runId, job.checkpoint);
  const layer = loaded.layers.find((l) => l.name === job.layer);
  if (!layer) throw invalid('layer', `layer: ${loaded.modelName} has no layer "${job.layer}" (see infer.layers)`);
  const shape = layerShape(loaded.model, job.layer);
  if (shape.length !== 3) throw invalid('layer', `layer: "${job.layer}" has output ${shape.join('×')}, not maps of height × width × channels`);
  const prepared = await prepareSingle(loaded, job.image);
  const [height, width, channels] = shape;
  const shown = Math.min(channels, job.maxChannels);
  const { png, layout } = await featureGridPng(activationOf(loaded, prepared, job.layer), height, width, channels, shown);
  return { layer: job.layer, shape, channels: shown, columns: layout.columns, rows: layout.rows, png: png.toString('base64'), ms: performance.now() - started, notes: prepared.notes };
}

export async function seWeights(context: JobContext, job: Job<'seWeights'>): Promise<InferSeWeightsResponse> {
  const started = performance.now();
  const { loaded } = await context.cache.get(job.runId, job.checkpoint);
  if (!loaded.seBlocks.includes(job.block)) {
    const known = loaded.seBlocks.length ? `its blocks: ${loaded.seBlocks.slice(0, 5).join(', ')}${loaded.seBlocks.length > 5 ? ', …' : ''}` : 'it has none';
    throw invalid('block', `block: ${loaded.modelName} has no squeeze-excitation block "${job.block}"; ${known}`);
  }
  const prepared = await prepareSingle(loaded, job.image);
  const weights = activationOf(loaded, prepared, `${job.block}_gate`);
  return { block: job.block, weights: Array.from(weights), ms: performance.now() - started };
}

export function stats(context: JobContext): WorkerStats {
  return { loads: context.cache.loads, cached: context.cache.keys(), backend: context.backend };
}

export async function runJob(context: JobContext, job: InferJob): Promise<unknown> {
  switch (job.kind) {
    case 'predict':
      return predict(context, job);
    case 'layers':
      return layers(context, job);
    case 'featureMaps':
      return featureMaps(context, job);
    case 'seWeights':
      return seWeights(context, job);
    case 'stats':
      return stats(context);
  }
}

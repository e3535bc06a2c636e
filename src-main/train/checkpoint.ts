/**
 * Checkpoints: a folder with model.json (TF.js layers topology + weights manifest), weights.bin,
 * optimizer.json + optimizer.bin and state.json. Each is written into a temporary folder that is
 * renamed into place, so a crash leaves the previous checkpoint whole.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, writeFileDurableSync } from '../store/atomic';

export interface CheckpointState {
  epoch: number;
  step: number;
  savedAt: string;
  [key: string]: unknown;
}

async function serializeOptimizer(optimizer: tf.Optimizer): Promise<{ manifest: { name: string; shape: number[]; dtype: string }[]; data: Uint8Array }> {
  const weights = await optimizer.getWeights();
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
}

/** Writes checkpoints/<name>/ whole or not at all. */
export async function saveCheckpoint(checkpointsDir: string, name: string, model: LayersModel, optimizer: tf.Optimizer, state: CheckpointState): Promise<string> {
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
  fsyncDir(tmp);
  const old = join(checkpointsDir, `.${name}.old-${process.pid}`);
  if (existsSync(target)) renameSync(target, old);
  renameSync(tmp, target);
  rmSync(old, { recursive: true, force: true });
  fsyncDir(checkpointsDir);
  return target;
}

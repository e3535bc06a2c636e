/**
 * Data-parallel training (`dataParallel`, replicas.ts) on single-threaded wasm in this file's own
 * process, with the bundled replica worker: the split batch gives the whole batch's gradient, the same
 * seed gives the same losses, a run resumes on the same curve, and a replica that fails or dies fails
 * the step with its reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../../src-main/contract';
import { initBackend } from '../../../src-main/engine';
import { buildTrainingModel, runTraining } from '../../../src-main/train/loop';
import { ReplicaPool, splitBatch, splitsBatches } from '../../../src-main/train/replicas';
import { buildMain, distMain } from '../helpers/build';
import { stepLosses, tinyDataset, trainConfig, trainForTest } from './helpers';

const dataset = tinyDataset(64, 10, 12, 3);
const entry = join(distMain, 'replica-worker.js');
const dir = mkdtempSync(join(tmpdir(), 'cvb-data-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  buildMain();
  await initBackend('wasm', { threads: 1 });
});

const config = (overrides: Partial<TrainConfig> = {}) =>
  trainConfig({ epochs: 2, batchSize: 8, checkpointMinutes: 0, dataParallel: true, threads: 2, modelOptions: { widthMultiplier: 0.25 }, ...overrides });

/** The loop with the bundled replica worker, on a clock that advances a minute per reading; see trainForTest. */
function train(runConfig: TrainConfig, opts: { killAtStep?: number; resumeFrom?: string } = {}) {
  const model = buildTrainingModel(runConfig, dataset.info.input, 10, runConfig.modelOptions);
  return trainForTest(runConfig, dataset, model, dir, { ...opts, loop: { replicaWorkerEntry: entry } });
}

describe('splitBatch', () => {
  it('cuts a batch into consecutive shares, the larger first, as views', () => {
    const labels = Int32Array.from({ length: 5 }, (_, i) => i);
    const pixels = Float32Array.from({ length: 10 }, (_, i) => i);
    const shares = splitBatch(pixels, labels, 2);
    expect(shares.map((s) => [...s.labels])).toEqual([[0, 1, 2], [3, 4]]);
    expect(shares.map((s) => [...s.pixels])).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]]);
    expect(shares[1].pixels.buffer).toBe(pixels.buffer);
    expect(splitBatch(pixels.subarray(0, 2), labels.subarray(0, 1), 3).map((s) => s.labels.length)).toEqual([1, 0, 0]);
  });
});

describe('splitsBatches', () => {
  it('splits with dataParallel and more than one thread, except on native TensorFlow', () => {
    expect(splitsBatches({ dataParallel: true, threads: 3 }, 'wasm')).toBe(3);
    expect(splitsBatches({ dataParallel: true, threads: 2 }, 'cpu')).toBe(2);
    expect(splitsBatches({ dataParallel: true, threads: 1 }, 'wasm')).toBeNull();
    expect(splitsBatches({ dataParallel: false, threads: 4 }, 'wasm')).toBeNull();
    expect(splitsBatches({ dataParallel: true, threads: 4 }, 'tensorflow')).toBeNull();
  });
});

describe('data-parallel training over two threads', () => {
  it("takes the whole batch's gradient: without batch norm, the losses of one thread (within 1e-4 relative)", async () => {
    const noNorm = { widthMultiplier: 0.25, batchNorm: false };
    const single = stepLosses((await train(config({ dataParallel: false, threads: 1, modelOptions: noNorm }))).events);
    const split = stepLosses((await train(config({ modelOptions: noNorm }))).events);
    expect(single.length).toBe(12);
    expect(split.length).toBe(12);
    split.forEach((loss, i) => expect(Math.abs(loss - single[i])).toBeLessThanOrEqual(1e-4 * Math.abs(single[i])));
  });

  it('gives the same losses for the same seed; with batch norm each share has its own statistics', async () => {
    const first = stepLosses((await train(config())).events);
    const second = stepLosses((await train(config())).events);
    expect(second).toEqual(first);
    const single = stepLosses((await train(config({ dataParallel: false, threads: 1 }))).events);
    expect(Math.abs(single[0] - first[0])).toBeGreaterThan(1e-4);
  });

  it('keeps the number of tensors the same after every epoch', async () => {
    const counts: number[] = [];
    const trainConfig = config({ epochs: 3, gradClipNorm: 1, perLayerGradNorms: true });
    const model = buildTrainingModel(trainConfig, dataset.info.input, 10, trainConfig.modelOptions);
    await runTraining(trainConfig, dataset, model, { shouldStop: () => false, onMetric: (e) => e.type === 'epoch' && counts.push(tf.memory().numTensors) }, { pipeline: 'thread', replicaWorkerEntry: entry });
    model.dispose();
    expect(counts.length).toBe(3);
    expect(new Set(counts).size).toBe(1);
  });

  it('resumes from a checkpoint inside an epoch on the same curve (within 1e-5)', async () => {
    const resumable = config({ checkpointMinutes: 2, optimizer: 'adam', learningRate: 0.01 });
    const whole = stepLosses((await train({ ...resumable, checkpointMinutes: 0 })).events);
    const killed = await train(resumable, { killAtStep: 4 });
    expect(killed.saved).toHaveLength(1);
    const [checkpoint] = killed.saved;
    expect(checkpoint.batchInEpoch).toBeGreaterThan(0);
    const before = stepLosses(killed.events).slice(0, checkpoint.step);
    const rest = stepLosses((await train(resumable, { resumeFrom: join(dir, 'last') })).events);
    const resumed = [...before, ...rest];
    expect(resumed.length).toBe(whole.length);
    expect(Math.max(...resumed.map((loss, i) => Math.abs(loss - whole[i])))).toBeLessThanOrEqual(1e-5);
  });
});

describe('ReplicaPool failures', () => {
  const model = () => buildTrainingModel(config(), dataset.info.input, 10, config().modelOptions);
  const variablesOf = (m: ReturnType<typeof model>) => m.trainableWeights.map((w) => w.read() as tf.Variable);

  it('names a missing replica worker', async () => {
    const m = model();
    await expect(ReplicaPool.start({ count: 1, entry: join(dir, 'nowhere.js'), backend: 'wasm', config: config(), input: dataset.info.input, classes: 10, variables: variablesOf(m) })).rejects.toThrow(
      /needs the replica worker .*nowhere\.js, which does not exist/,
    );
    m.dispose();
  });

  it('fails to start when the replica builds a different model, and says how', async () => {
    const m = buildTrainingModel(config(), dataset.info.input, 10, { widthMultiplier: 0.5 });
    await expect(ReplicaPool.start({ count: 1, entry, backend: 'wasm', config: config(), input: dataset.info.input, classes: 10, variables: variablesOf(m) })).rejects.toThrow(
      /data-parallel replica 1 failed: its model's variables .* differ from the training thread's/,
    );
    m.dispose();
  });

  it("fails a step with the replica's reason when its share is bad or it has died", async () => {
    const m = model();
    const variables = variablesOf(m);
    const pool = await ReplicaPool.start({ count: 2, entry, backend: 'wasm', config: config(), input: dataset.info.input, classes: 10, variables });
    try {
      pool.publishWeights(variables);
      const share = (count: number, pixelsPerImage = 12 * 12 * 3) => ({ pixels: new Float32Array(count * pixelsPerImage), labels: new Int32Array(count) });
      const results = await pool.step(0, [share(3), share(2)]);
      expect(results.map((r) => r.counts[0] >= 0 && Number.isFinite(r.loss))).toEqual([true, true]);
      expect(results[0].gradient(0).length).toBe(variables[0].size);
      // No tensor outlives a step in a replica.
      const later = await pool.step(1, [share(3), share(2)]);
      expect(later.map((r) => r.tensors)).toEqual(results.map((r) => r.tensors));
      // Pixels that do not make whole images: the replica's tensor cannot be shaped.
      await expect(pool.step(2, [share(3), share(2, 7)])).rejects.toThrow(/data-parallel replica 2 failed: at step 3: /);
      await expect(pool.step(3, [share(3), share(2)])).rejects.toThrow(/replica 2 failed/);
    } finally {
      await pool.close();
    }
    const again = await ReplicaPool.start({ count: 1, entry, backend: 'wasm', config: config(), input: dataset.info.input, classes: 10, variables });
    try {
      await again.workers[0].terminate();
      await expect(again.step(0, [{ pixels: new Float32Array(12 * 12 * 3), labels: new Int32Array(1) }])).rejects.toThrow(/data-parallel replica 1 exited \(code 1\) while the run was training/);
    } finally {
      await again.close();
      m.dispose();
    }
  });
});

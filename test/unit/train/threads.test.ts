/**
 * Training on the wasm backend with two threads (this file's own process: vitest forks one per file,
 * and the wasm module starts once per process): the same seed gives the same losses, and a run
 * killed after a checkpoint inside an epoch resumes on the same curve.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendReport, TrainConfig } from '../../../src-main/contract';
import { initBackend } from '../../../src-main/engine';
import { buildTrainingModel } from '../../../src-main/train/loop';
import { stepLosses, tinyDataset, trainConfig, trainForTest } from './helpers';

const dataset = tinyDataset(64, 10, 12, 3);
const tinyResNet = (config: TrainConfig) => buildTrainingModel(config, dataset.info.input, 10, { widthMultiplier: 0.25 });
let report: BackendReport;
const dir = mkdtempSync(join(tmpdir(), 'cvb-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  report = await initBackend('wasm', { threads: 2 });
});

/** The loop on a clock that advances a minute per reading; see trainForTest. */
function train(config: TrainConfig, opts: { killAtStep?: number; resumeFrom?: string } = {}) {
  return trainForTest(config, dataset, tinyResNet(config), dir, opts);
}

describe('training with two wasm threads', () => {
  it('runs the threaded build with two threads', () => {
    expect(report.name).toBe('wasm');
    expect(report.threads).toBe(2);
    expect(report.device).toContain('2 threads');
  });

  it('gives the same losses for the same seed and thread count', async () => {
    const config = trainConfig({ epochs: 2, checkpointMinutes: 0 });
    const first = stepLosses((await train(config)).events);
    const second = stepLosses((await train(config)).events);
    expect(first.length).toBe(6);
    expect(second).toEqual(first);
    const other = stepLosses((await train(trainConfig({ epochs: 2, checkpointMinutes: 0, seed: 4 }))).events);
    expect(other).not.toEqual(first);
  });

  it('writes checkpoints inside an epoch every checkpointMinutes, and resumes from one on the same curve (within 1e-5)', async () => {
    // 48 training images at batch 8: 6 steps an epoch, so step 4 is inside epoch 1.
    const config = trainConfig({ epochs: 2, batchSize: 8, checkpointMinutes: 2, optimizer: 'adam', learningRate: 0.01 });
    const whole = stepLosses((await train({ ...config, checkpointMinutes: 0 })).events);
    const killed = await train(config, { killAtStep: 4 });
    expect(killed.saved).toHaveLength(1);
    const [checkpoint] = killed.saved;
    expect(checkpoint.batchInEpoch).toBeGreaterThan(0);
    expect(checkpoint.epoch).toBe(0);
    const before = stepLosses(killed.events).slice(0, checkpoint.step);
    const rest = stepLosses((await train(config, { resumeFrom: join(dir, 'last') })).events);
    expect(before.length + rest.length).toBe(whole.length);
    const resumed = [...before, ...rest];
    expect(Math.max(...resumed.map((loss, i) => Math.abs(loss - whole[i])))).toBeLessThanOrEqual(1e-5);
    expect(tf.getBackend()).toBe('wasm');
  });
});

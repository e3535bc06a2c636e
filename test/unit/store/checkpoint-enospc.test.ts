/**
 * A full disk while a checkpoint is written: the write fails, and the previous checkpoint stays
 * whole and loadable, and the run stays readable. ENOSPC is injected into node:fs's writeSync for
 * files of the temporary checkpoint folder.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { sequential, layers } from '@tensorflow/tfjs-layers';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { TrainConfigSchema } from '../../../src-main/contract';
import { RunStore } from '../../../src-main/store/runs';
import { loadCheckpoint, saveCheckpoint, type CheckpointState } from '../../../src-main/train/checkpoint';

const faults = vi.hoisted(() => ({ full: false, paths: new Map<number, string>() }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = (path: import('node:fs').PathLike, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...args: unknown[]) => number)(path, ...rest);
    faults.paths.set(fd, String(path));
    return fd;
  };
  const writeSync = (fd: number, ...rest: unknown[]) => {
    if (faults.full && /\.tmp/.test(faults.paths.get(fd) ?? '')) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    return (fs.writeSync as (...args: unknown[]) => number)(fd, ...rest);
  };
  return { ...fs, default: { ...fs, openSync, writeSync }, openSync, writeSync };
});

function state(step: number): CheckpointState {
  return {
    epoch: step,
    step,
    savedAt: new Date().toISOString(),
    seed: 1,
    batchInEpoch: 0,
    orderRandomState: 1,
    tensorRandomState: 1,
    epochTotals: { loss: 0, correct: 0, seen: 0 },
    best: { metric: 'valAccuracy', score: null, epoch: null },
    epochsWithoutImprovement: 0,
    learningRate: 0.1,
  };
}

function tinyModel() {
  const model = sequential({ layers: [layers.dense({ inputShape: [4], units: 3, kernelInitializer: 'ones' })] });
  return model;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('a checkpoint write that fails with ENOSPC', () => {
  it('leaves the previous checkpoint whole and loadable, and the run readable', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'cvb-enospc-')));
    const { id } = store.create(TrainConfigSchema.parse({ model: 'resnet20', epochs: 2, batchSize: 8, learningRate: 0.1 }), {});
    const checkpoints = join(store.runDir(id), 'checkpoints');
    const optimizer = tf.train.sgd(0.1);

    const first = tinyModel();
    await saveCheckpoint(checkpoints, 'last', first, optimizer, state(1));
    store.update(id, { status: 'running', steps: 1, epochsDone: 1 });

    const second = tinyModel();
    second.setWeights(second.getWeights().map((w) => tf.fill(w.shape, 7)));
    faults.full = true;
    await expect(saveCheckpoint(checkpoints, 'last', second, optimizer, state(2))).rejects.toMatchObject({ code: 'ENOSPC' });
    // run.json cannot be rewritten either while the disk is full, and the old one stays.
    expect(() => store.update(id, { steps: 2 })).toThrow(/ENOSPC/);
    faults.full = false;

    expect(store.read(id)).toMatchObject({ status: 'running', steps: 1 });
    expect(store.list()[0].damaged).toBeNull();
    expect(readdirSync(store.runDir(id)).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const restored = tinyModel();
    restored.setWeights(restored.getWeights().map((w) => tf.zerosLike(w)));
    const loaded = loadCheckpoint(join(checkpoints, 'last'), restored);
    expect(loaded.state.step).toBe(1);
    const kernel = restored.getWeights()[0].dataSync();
    expect(Array.from(kernel).every((v) => v === 1)).toBe(true);
    loaded.optimizerWeights.forEach((w) => w.tensor.dispose());

    // The next save, with space again, replaces the partial temporary folder and succeeds.
    await saveCheckpoint(checkpoints, 'last', second, optimizer, state(3));
    expect(loadCheckpoint(join(checkpoints, 'last'), restored).state.step).toBe(3);
    expect(readdirSync(checkpoints)).toEqual(['last']);
  });
});

import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { TrainConfigSchema } from '../../../src-main/contract';
import { atomicWriteFileSync } from '../../../src-main/store/atomic';
import { InvalidRunIdError, MetricsAppender, RunNotFoundError, RunStore } from '../../../src-main/store/runs';

const config = TrainConfigSchema.parse({ model: 'resnet20', epochs: 2, batchSize: 32, learningRate: 0.01 });

describe('RunStore', () => {
  let home: string;
  let store: RunStore;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'cvb-store-'));
    store = new RunStore(home);
  });

  it('creates the run folder of the design: run.json, metrics.jsonl, checkpoints/', () => {
    const record = store.create(config, { workbench: '1.0.0' });
    expect(record.id).toMatch(/^\d{8}-\d{6}-resnet20-[0-9a-f]{6}$/);
    expect(readdirSync(store.runDir(record.id)).sort()).toEqual(['checkpoints', 'metrics.jsonl', 'run.json']);
    expect(store.read(record.id)).toEqual(record);
    expect(store.list().map((r) => r.id)).toEqual([record.id]);
  });

  it('refuses ids that could escape the runs folder', () => {
    for (const id of ['../x', 'a/b', '..', 'A', '', 'x'.repeat(200), 'a\\b']) {
      expect(() => store.runDir(id)).toThrow(InvalidRunIdError);
    }
    expect(() => store.read('no-such-run')).toThrow(RunNotFoundError);
  });

  it('ignores a torn last metrics line and keeps every whole line before it', () => {
    const { id } = store.create(config, {});
    const appender = new MetricsAppender(join(store.runDir(id), 'metrics.jsonl'));
    for (let step = 1; step <= 3; step++) {
      appender.append({ type: 'step', step, epoch: 1, loss: 1 / step, accuracy: 0.5, learningRate: 0.01, imagesPerSec: 100, time: step });
    }
    appender.close();
    appendFileSync(join(store.runDir(id), 'metrics.jsonl'), '{"type":"step","step":4,"ep');
    expect(store.readMetrics(id).map((m) => m.step)).toEqual([1, 2, 3]);
  });

  it('lists a damaged run with the reason and still lists the others', () => {
    const good = store.create(config, {});
    const bad = store.create(config, {}, new Date(Date.now() + 1000));
    writeFileSync(join(store.runDir(bad.id), 'run.json'), '{"id": "trunc');
    const runs = store.list();
    expect(runs).toHaveLength(2);
    expect(runs.find((r) => r.id === bad.id)?.damaged).toMatch(/run.json cannot be read/);
    expect(runs.find((r) => r.id === good.id)?.damaged).toBeNull();
  });

  it('marks runs whose worker is gone as interrupted, and leaves live ones alone', () => {
    const dead = store.create(config, {});
    store.update(dead.id, { status: 'running', workerPid: 999_999_999 });
    const live = store.create(config, {}, new Date(Date.now() + 1000));
    store.update(live.id, { status: 'running', workerPid: process.pid });
    const done = store.create(config, {}, new Date(Date.now() + 2000));
    store.update(done.id, { status: 'completed' });
    const changed = store.markInterrupted((pid) => pid === process.pid);
    expect(changed).toEqual([dead.id]);
    expect(store.read(dead.id).status).toBe('interrupted');
    expect(store.read(live.id).status).toBe('running');
    expect(store.read(done.id).status).toBe('completed');
  });
});

describe('atomicWriteFileSync', () => {
  it('replaces the file whole and leaves no temporary file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvb-atomic-'));
    const file = join(dir, 'run.json');
    atomicWriteFileSync(file, 'old');
    atomicWriteFileSync(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['run.json']);
  });

  it('leaves no temporary file behind when the rename fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvb-atomic-'));
    const blocked = join(dir, 'checkpoint');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    expect(() => atomicWriteFileSync(blocked, 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['checkpoint']);
    expect(readdirSync(blocked)).toEqual(['inside']);
  });
});

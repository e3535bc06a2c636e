import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunStatus, TrainConfig } from '../../../src-main/contract';
import { ExperimentQueue, type RunControl } from '../../../src-main/experiments/queue';
import { ExperimentStore } from '../../../src-main/experiments/store';
import { recordOf } from './helpers';

/** Runs that stay running until the test ends them. */
class FakeRuns implements RunControl {
  statuses = new Map<string, RunStatus>();
  configs = new Map<string, TrainConfig>();
  tags = new Map<string, string[]>();
  log: string[] = [];
  private next = 0;
  async start(config: TrainConfig, meta: { name: string; tags: string[] }) {
    const id = `run-${this.next++}`;
    this.statuses.set(id, 'running');
    this.configs.set(id, config);
    this.tags.set(id, meta.tags);
    this.log.push(`start ${id}`);
    return id;
  }
  async resume(id: string) {
    this.statuses.set(id, 'running');
    this.log.push(`resume ${id}`);
  }
  async stop(id: string) {
    this.statuses.set(id, 'stopped');
  }
  async delete(id: string) {
    this.statuses.delete(id);
  }
  status(id: string) {
    return this.statuses.get(id) ?? null;
  }
  end(id: string, status: RunStatus = 'completed') {
    this.statuses.set(id, status);
  }
}

function setup(drive: 'all' | 'own' = 'all') {
  const home = mkdtempSync(join(tmpdir(), 'cvb-queue-'));
  const store = new ExperimentStore(home);
  const record = { ...recordOf(['relu', 'sigmoid'], 2), id: store.newId() };
  record.arms.forEach((arm) => (arm.runs = []));
  store.write(record);
  const runs = new FakeRuns();
  const changes: string[] = [];
  const queue = new ExperimentQueue(store, runs, { drive, onChange: (id) => changes.push(id) });
  return { home, store, record, runs, queue, changes };
}

describe('experiment queue', () => {
  it('runs one at a time, seed by seed across arms, with the same seed in every arm, tagged with the experiment', async () => {
    const { store, record, runs, queue } = setup();
    for (let i = 0; i < 4; i++) {
      await queue.tick();
      await queue.tick();
      expect([...runs.statuses.values()].filter((s) => s === 'running')).toHaveLength(1);
      runs.end(`run-${i}`);
    }
    await queue.tick();
    const saved = store.read(record.id);
    expect(saved.arms.map((arm) => arm.runs)).toEqual([
      ['run-0', 'run-2'],
      ['run-1', 'run-3'],
    ]);
    expect([0, 1, 2, 3].map((i) => runs.configs.get(`run-${i}`)!.seed)).toEqual([42, 42, 43, 43]);
    expect(runs.configs.get('run-1')!.modelOptions).toEqual({ activation: 'sigmoid' });
    expect(runs.tags.get('run-0')).toEqual([record.id]);
    expect(runs.log).toHaveLength(4);
  });

  it('after a restart a new queue resumes the interrupted run and carries on', async () => {
    const { store, record, runs, queue } = setup();
    await queue.tick();
    queue.close();
    runs.end('run-0', 'interrupted');
    const again = new ExperimentQueue(store, runs, { drive: 'all', onChange: () => undefined });
    await again.tick();
    expect(runs.log).toEqual(['start run-0', 'resume run-0']);
    runs.end('run-0');
    await again.tick();
    expect(runs.log[2]).toBe('start run-1');
    expect(store.read(record.id).arms[1].runs).toEqual(['run-1']);
  });

  it("a command-line queue ('own') leaves other sessions' experiments alone until resumed", async () => {
    const { record, runs, queue } = setup('own');
    await queue.tick();
    expect(runs.log).toEqual([]);
    await queue.resume(record.id);
    expect(runs.log).toEqual(['start run-0']);
  });

  it('stop stops the running run and the queue; resume resumes it; extend adds paired seeds', async () => {
    const { store, record, runs, queue } = setup();
    await queue.tick();
    await queue.stop(record.id);
    expect(runs.status('run-0')).toBe('stopped');
    await queue.tick();
    expect(runs.log).toEqual(['start run-0']);
    await queue.resume(record.id);
    expect(runs.log).toEqual(['start run-0', 'resume run-0']);
    runs.end('run-0');
    await queue.extend(record.id, 1);
    expect(store.read(record.id).seeds).toBe(3);
    for (let started = 1; started < 6; started++) {
      expect(runs.status(`run-${started}`)).toBe('running');
      runs.end(`run-${started}`);
      await queue.tick();
    }
    expect(store.read(record.id).arms.map((arm) => arm.runs.map((id) => runs.configs.get(id!)!.seed))).toEqual([
      [42, 43, 44],
      [42, 43, 44],
    ]);
  });

  it('a run that cannot start stops the experiment with the reason', async () => {
    const { store, record, runs, queue } = setup();
    runs.start = async () => {
      throw new Error('dataset: unknown dataset "gone"');
    };
    await queue.tick();
    expect(store.read(record.id)).toMatchObject({ state: 'stopped', error: expect.stringMatching(/relu, seed 1: dataset: unknown dataset "gone"/) });
  });

  it('delete removes the experiment and its runs', async () => {
    const { home, store, record, runs, queue } = setup();
    await queue.tick();
    await queue.delete(record.id);
    expect(runs.statuses.size).toBe(0);
    expect(store.ids()).toEqual([]);
    expect(readdirSync(join(home, 'experiments'))).toEqual([]);
  });

  it('a damaged record is skipped, never hides the others', () => {
    const { home, store, record } = setup();
    writeFileSync(join(home, 'experiments', 'exp-00000000-000000-dead.json'), '{ torn');
    expect(store.list().map((r) => r.id)).toEqual([record.id]);
  });
});

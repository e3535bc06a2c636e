/**
 * Crashes mid-run (issue 6): kill -9 of the training worker, and of the host process itself. In
 * both cases the next start finds the run interrupted, its metrics intact up to the last whole
 * line, and the run resumes to completion on the same curve.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage, MetricEvent, RunSummary } from '../../../src-main/contract';
import { createWorkbench, type Workbench } from '../../../src-main/core/workbench';
import { isProcessAlive, RunStore } from '../../../src-main/store/runs';
import { buildMain, distMain, repoRoot } from '../helpers/build';
import { TINY_DATASET, waitFor, writeTinyDataset } from './helpers';

const open: Workbench[] = [];
const children: ChildProcess[] = [];
/** 480 images, 10% held out, batch 8: 54 steps an epoch. */
const STEPS_PER_EPOCH = 54;
const CONFIG = { model: 'resnet20', dataset: TINY_DATASET, epochs: 3, batchSize: 8, learningRate: 0.05, optimizer: 'momentum' as const };

async function start(home: string): Promise<{ workbench: Workbench; events: EventMessage[] }> {
  const workbench = await createWorkbench({ home, mode: 'test', resourcesDir: join(repoRoot, 'resources'), workerEntry: join(distMain, 'train-worker.js'), version: 'test' });
  open.push(workbench);
  const events: EventMessage[] = [];
  workbench.onEvent((event) => events.push(event));
  return { workbench, events };
}

function metricLines(store: RunStore, id: string): string[] {
  return readFileSync(join(store.runDir(id), 'metrics.jsonl'), 'utf8').split('\n').filter((line) => line.trim());
}

/** Every whole line parses; only a torn last line may not. */
function expectMetricsIntact(store: RunStore, id: string): MetricEvent[] {
  const lines = metricLines(store, id);
  const metrics = store.readMetrics(id);
  expect(metrics.length).toBeGreaterThanOrEqual(lines.length - 1);
  const steps = metrics.filter((m) => m.type === 'step').map((m) => m.step);
  expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
  return metrics;
}

async function resumeToEnd(home: string, id: string): Promise<void> {
  const { workbench, events } = await start(home);
  expect(workbench.store.read(id).status).toBe('interrupted');
  const resumed = await workbench.request('runs.resume', { id });
  expect(resumed.ok).toBe(true);
  await waitFor(() => events.find((e) => e.event === 'run.status' && e.data.runId === id && !['queued', 'running'].includes(e.data.status)), 180_000, 'the resumed run to end');
  expect(workbench.store.read(id)).toMatchObject({ status: 'completed', epochsDone: CONFIG.epochs, steps: CONFIG.epochs * STEPS_PER_EPOCH });
  const metrics = expectMetricsIntact(workbench.store, id);
  expect(metrics.filter((m) => m.type === 'epoch' && !m.partial).map((m) => m.epoch)).toEqual([1, 2, 3]);
}

beforeAll(() => buildMain());
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(open.splice(0).map((w) => w.close()));
});

describe('kill -9 of the training worker mid-epoch', () => {
  it('marks the run interrupted, keeps its metrics, and it resumes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-kill-worker-'));
    writeTinyDataset(home);
    const { workbench, events } = await start(home);
    const started = await workbench.request('runs.start', CONFIG);
    const id = (started as { ok: true; value: RunSummary }).value.id;
    // Past the first epoch's checkpoint, in the middle of the second epoch.
    await waitFor(() => workbench.store.read(id).steps >= STEPS_PER_EPOCH && metricLines(workbench.store, id).length > STEPS_PER_EPOCH + 15, 120_000, 'epoch 2');
    const pid = workbench.store.read(id).workerPid!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    const status = await waitFor(() => events.find((e) => e.event === 'run.status' && e.data.runId === id && e.data.status !== 'running'), 30_000, 'the status event');
    expect(status.data).toMatchObject({ status: 'interrupted' });
    expect(workbench.store.read(id)).toMatchObject({ status: 'interrupted', workerPid: null });
    expectMetricsIntact(workbench.store, id);
    await workbench.close();
    await resumeToEnd(home, id);
  }, 300_000);
});

describe('kill -9 of the host process mid-run', () => {
  it('is found interrupted at the next start, with its metrics, and resumes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-kill-host-'));
    writeTinyDataset(home);
    const host = spawn(
      process.execPath,
      [join(distMain, 'cli.js'), 'train', '--model', 'resnet20', '--data', TINY_DATASET, '--epochs', '3', '--batch-size', '8', '--lr', '0.05', '--optimizer', 'momentum', '--home', home, '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(host);
    let output = '';
    host.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const id = await waitFor(() => /"runId":"([^"]+)"/.exec(output)?.[1], 60_000, 'the run to start');
    const store = new RunStore(home);
    await waitFor(() => store.read(id).steps >= STEPS_PER_EPOCH && metricLines(store, id).length > STEPS_PER_EPOCH + 15, 120_000, 'epoch 2');
    const workerPid = store.read(id).workerPid!;
    const hostExited = new Promise((resolve) => host.once('exit', resolve));
    host.kill('SIGKILL');
    await hostExited;
    process.kill(workerPid, 'SIGKILL');
    await waitFor(() => !isProcessAlive(workerPid), 30_000, 'the worker to die');

    // Nothing ran to record the crash: run.json still says running.
    expect(store.read(id).status).toBe('running');
    expectMetricsIntact(store, id);
    await resumeToEnd(home, id);
  }, 300_000);
});

describe('damaged files', () => {
  it('a torn last metrics line and a truncated run.json never hide a run or its metrics', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-damaged-'));
    const store = new RunStore(home);
    const config = { ...CONFIG, validationFraction: 0.1, seed: 42 } as never;
    const torn = store.create(config, {});
    appendFileSync(join(store.runDir(torn.id), 'metrics.jsonl'), `${JSON.stringify({ type: 'step', step: 1, epoch: 1, loss: 1, accuracy: 0, learningRate: 0.1, imagesPerSec: 1, time: 1 })}\n{"type":"st`);
    const truncated = store.create(config, {}, new Date(Date.now() + 1000));
    appendFileSync(join(store.runDir(truncated.id), 'metrics.jsonl'), `${JSON.stringify({ type: 'step', step: 1, epoch: 1, loss: 1, accuracy: 0, learningRate: 0.1, imagesPerSec: 1, time: 1 })}\n`);
    const json = readFileSync(join(store.runDir(truncated.id), 'run.json'), 'utf8');
    writeFileSync(join(store.runDir(truncated.id), 'run.json'), json.slice(0, json.length / 2));

    const listed = store.list();
    expect(listed.map((r) => r.id).sort()).toEqual([torn.id, truncated.id].sort());
    expect(listed.find((r) => r.id === torn.id)).toMatchObject({ damaged: null, status: 'queued' });
    expect(listed.find((r) => r.id === truncated.id)?.damaged).toMatch(/run.json cannot be read/);
    expect(store.readMetrics(torn.id).map((m) => m.step)).toEqual([1]);
    expect(store.readMetrics(truncated.id).map((m) => m.step)).toEqual([1]);
    // A damaged run can still be deleted; nothing else is touched.
    store.delete(truncated.id);
    expect(existsSync(store.runDir(torn.id))).toBe(true);
  });
});

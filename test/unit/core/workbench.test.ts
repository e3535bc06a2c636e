import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage, RunDetail, RunSummary } from '../../../src-main/contract';
import { createWorkbench, type Workbench } from '../../../src-main/core/workbench';
import { buildMain, distMain, repoRoot } from '../helpers/build';
import { waitFor } from '../helpers/wait';

const open: Workbench[] = [];

async function makeWorkbench(home = mkdtempSync(join(tmpdir(), 'cvb-core-')), progressIntervalMs?: number): Promise<{ workbench: Workbench; home: string; events: EventMessage[] }> {
  const workbench = await createWorkbench({
    progressIntervalMs,
    home,
    mode: 'test',
    resourcesDir: join(repoRoot, 'resources'),
    workerEntry: join(distMain, 'train-worker.js'),
    version: 'test',
  });
  open.push(workbench);
  const events: EventMessage[] = [];
  workbench.onEvent((event) => events.push(event));
  return { workbench, home, events };
}

type StatusEvent = Extract<EventMessage, { event: 'run.status' }>;
const ended = (events: EventMessage[], runId: string) =>
  events.find(
    (e): e is StatusEvent => e.event === 'run.status' && e.data.runId === runId && ['completed', 'stopped', 'failed', 'interrupted'].includes(e.data.status),
  );

const quickRun = { model: 'resnet20', epochs: 1, batchSize: 8, learningRate: 0.01, optimizer: 'sgd' as const };

beforeAll(() => buildMain());
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
});

describe('runs.start validation', () => {
  it.each([
    [{ ...quickRun, batchSize: 0 }, 'batchSize'],
    [{ ...quickRun, learningRate: -0.1 }, 'learningRate'],
    [{ ...quickRun, learningRate: 'fast' }, 'learningRate'],
    [{ ...quickRun, epochs: 1_000_000 }, 'epochs'],
    [{ ...quickRun, model: 'resnet9000' }, 'model'],
    [{ ...quickRun, dataset: 'no-such-data' }, 'dataset'],
    [{ ...quickRun, dataset: '../../etc' }, 'dataset'],
    [{ ...quickRun, nesterov: true }, 'nesterov'],
    [{ ...quickRun, augmentation: { randomResizedCrop: { scale: [1, 0.5], ratio: [0.75, 1.33] } } }, 'augmentation.randomResizedCrop.scale'],
  ])('refuses %j naming %s, and creates nothing', async (config, field) => {
    const { workbench, home } = await makeWorkbench();
    const result = await workbench.request('runs.start', config);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('invalid_request');
      expect(result.error.field).toBe(field);
      expect(result.error.message).toContain(field);
    }
    expect(readdirSync(join(home, 'runs'))).toEqual([]);
  });

  it('answers unknown methods and bad ids with error values', async () => {
    const { workbench } = await makeWorkbench();
    expect(await workbench.request('runs.delete-everything', {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await workbench.request('runs.get', { id: '../../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'id' } });
    expect(await workbench.request('runs.get', { id: 'no-such-run' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await workbench.request('runs.stop', { id: 'no-such-run' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('system.info', () => {
  it('reports the backend training would use, probed in a child process, with the reasons for passing over the better ones', async () => {
    const { workbench } = await makeWorkbench();
    const info = await workbench.request('system.info', {});
    expect(info).toMatchObject({ ok: true, value: { mode: 'test', version: 'test' } });
    const backend = info.ok ? (info.value as { backend: { name: string; passedOver: { name: string; reason: string }[] } }).backend : null;
    // WebAssembly ships in an npm package, so it is always there when the native backend is not:
    // a probe that falls to cpu has broken the ladder.
    expect(['tensorflow', 'wasm']).toContain(backend?.name);
    if (backend?.name === 'wasm') expect(backend.passedOver.map((p) => p.name)).toEqual(['tensorflow']);
  });
});

describe('training through Core and the worker process', () => {
  it('trains, relays throttled progress, writes the run folder and finds it after a restart', async () => {
    // A relay interval longer than the run: the first step is relayed at once, the rest wait
    // for the final flush, whatever this machine's speed.
    const { workbench, home, events } = await makeWorkbench(undefined, 600_000);
    const started = await workbench.request('runs.start', { ...quickRun, maxSteps: 12 });
    expect(started.ok).toBe(true);
    const run = (started as { value: RunSummary }).value;
    const end = await waitFor(() => ended(events, run.id));
    expect(end.data.status).toBe('completed');

    const progress = events.filter((e) => e.event === 'run.progress');
    const relayed = progress.flatMap((e) => (e.event === 'run.progress' ? e.data.metrics : []));
    expect(relayed.filter((m) => m.type === 'step').map((m) => m.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(progress.length).toBeLessThanOrEqual(2);

    const dir = join(home, 'runs', run.id);
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(record).toMatchObject({ status: 'completed', steps: 12, workerPid: null });
    expect(['wasm', 'cpu', 'tensorflow']).toContain(record.backend.name);
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(13);
    // The step limit ended the first epoch early: no whole epoch to call best, so the last checkpoint serves.
    expect(readdirSync(join(dir, 'checkpoints', 'last')).sort()).toEqual(['model.json', 'optimizer.bin', 'optimizer.json', 'preprocessing.json', 'state.json', 'weights.bin']);
    const preprocessing = JSON.parse(readFileSync(join(dir, 'checkpoints', 'last', 'preprocessing.json'), 'utf8'));
    expect(preprocessing).toMatchObject({ input: [28, 28, 1], classes: expect.arrayContaining(['Sneaker']) });
    expect(preprocessing.mean[0]).toBeGreaterThan(0.2);
    // A completed run is evaluated on the test split before its worker ends.
    const evaluation = JSON.parse(readFileSync(join(dir, 'eval', 'summary.json'), 'utf8'));
    expect(evaluation).toMatchObject({ runId: run.id, count: 2000 });

    await workbench.close();
    const again = await makeWorkbench(home);
    const list = await again.workbench.request('runs.list', {});
    expect(list.ok && (list.value as RunSummary[]).map((r) => [r.id, r.status])).toEqual([[run.id, 'completed']]);
    const detail = await again.workbench.request('runs.get', { id: run.id });
    expect(detail.ok && (detail.value as RunDetail).metrics).toHaveLength(13);
    // The detail carries what the list shows, the test-set accuracy included.
    expect(detail.ok && (detail.value as RunDetail).test?.accuracy).toBe(evaluation.accuracy);
  });

  it('fits a run to its time budget, and its progress counts down to the fitted steps and epochs', async () => {
    const { workbench, events } = await makeWorkbench(undefined, 100);
    // 50 epochs of 1,125 steps (9,000 images at batch 8) planned, 9 seconds allowed.
    const started = await workbench.request('runs.start', { ...quickRun, epochs: 50, maxMinutes: 0.15 });
    const run = (started as { value: RunSummary }).value;
    const end = await waitFor(() => ended(events, run.id), 180_000);
    expect(end.data.status).toBe('completed');
    const record = workbench.store.read(run.id);
    expect(record.budget).toMatchObject({ maxMinutes: 0.15, plannedSteps: 56_250 });
    const fitted = record.budget!.fittedSteps;
    expect(fitted).toBeLessThan(56_250);
    expect(record.steps).toBeGreaterThanOrEqual(Math.min(fitted, 11));
    expect(record.steps).toBeLessThanOrEqual(fitted);
    const last = events.filter((e) => e.event === 'run.progress' && e.data.runId === run.id).pop();
    expect(last?.event === 'run.progress' && [last.data.totalSteps, last.data.epochs]).toEqual([fitted, Math.ceil(fitted / 1125)]);
  }, 240_000);

  it("runs.get carries a running run's plan, a time budget's fitted epochs rather than the config's, until the run ends", async () => {
    const { workbench, events } = await makeWorkbench(undefined, 100);
    // 50 epochs of 1,125 steps planned; five minutes fit far fewer.
    const started = await workbench.request('runs.start', { ...quickRun, epochs: 50, maxMinutes: 5 });
    const run = (started as { value: RunSummary }).value;
    const fitted = await waitFor(() => {
      const event = events.find((e) => e.event === 'run.progress' && e.data.runId === run.id && e.data.totalSteps < 56_250);
      return event?.event === 'run.progress' ? event.data : undefined;
    }, 180_000);
    const detail = await workbench.request('runs.get', { id: run.id });
    const plan = detail.ok ? (detail.value as RunDetail).plan : undefined;
    expect(plan).toEqual({ epochs: fitted.epochs, stepsPerEpoch: 1125, totalSteps: fitted.totalSteps, threads: fitted.threads });
    expect(plan!.epochs).toBeLessThan(50);
    await workbench.request('runs.stop', { id: run.id });
    const after = await workbench.request('runs.get', { id: run.id });
    expect(after.ok && (after.value as RunDetail).status).toBe('stopped');
    expect(after.ok && 'plan' in (after.value as RunDetail)).toBe(false);
  }, 240_000);

  it('stops a run cleanly and keeps a checkpoint', async () => {
    const { workbench, home, events } = await makeWorkbench();
    const started = await workbench.request('runs.start', { ...quickRun, epochs: 50 });
    const run = (started as { value: RunSummary }).value;
    await waitFor(() => events.some((e) => e.event === 'run.progress' && e.data.runId === run.id));
    const stopped = await workbench.request('runs.stop', { id: run.id });
    expect(stopped).toMatchObject({ ok: true, value: { status: 'stopped' } });
    expect(existsSync(join(home, 'runs', run.id, 'checkpoints', 'last', 'weights.bin'))).toBe(true);
    expect(await workbench.request('runs.stop', { id: run.id })).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it.each([
    ['SIGSEGV', 'failed'],
    ['SIGKILL', 'interrupted'],
  ] as const)('a worker ended by %s marks the run %s, with the reason', async (signal, status) => {
    const { workbench, events } = await makeWorkbench();
    const started = await workbench.request('runs.start', { ...quickRun, epochs: 50 });
    const run = (started as { value: RunSummary }).value;
    await waitFor(() => events.some((e) => e.event === 'run.progress' && e.data.runId === run.id));
    const pid = workbench.store.read(run.id).workerPid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, signal);
    const end = await waitFor(() => ended(events, run.id));
    expect(end.data.status).toBe(status);
    expect(end.data.error).toContain(`killed by ${signal}`);
    expect(workbench.store.read(run.id)).toMatchObject({ status, workerPid: null });
  });

});

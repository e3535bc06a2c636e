import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage, RunDetail, RunSummary, StepMetric } from '../../../src-main/contract';
import { createWorkbench, type Workbench } from '../../../src-main/core/workbench';
import { buildMain, distMain, repoRoot } from '../helpers/build';
import { waitFor } from '../helpers/wait';

let workbench: Workbench;
const events: EventMessage[] = [];

beforeAll(async () => {
  buildMain();
  workbench = await createWorkbench({
    home: mkdtempSync(join(tmpdir(), 'cvb-resume-')),
    mode: 'test',
    resourcesDir: join(repoRoot, 'resources'),
    workerEntry: join(distMain, 'train-worker.js'),
    version: 'test',
  });
  workbench.onEvent((event) => events.push(event));
});
afterAll(() => workbench.close());

const lastStatus = (runId: string) =>
  events.filter((e) => e.event === 'run.status' && e.data.runId === runId).map((e) => (e.data as { status: string }).status).pop();

async function detail(id: string): Promise<RunDetail> {
  const result = await workbench.request('runs.get', { id });
  if (!result.ok) throw new Error(result.error.message);
  return result.value as RunDetail;
}

const config = { model: 'resnet20', epochs: 1, batchSize: 16, learningRate: 0.02, optimizer: 'momentum' as const, maxSteps: 8, validationFraction: 0.02, backend: 'wasm' as const };

describe('runs.resume through Core and the worker', () => {
  it('resumes a stopped run on the same curve, with no duplicate lines in metrics.jsonl', async () => {
    const whole = (await workbench.request('runs.start', config)) as { ok: true; value: RunSummary };
    await waitFor(() => lastStatus(whole.value.id) === 'completed');

    const started = (await workbench.request('runs.start', config)) as { ok: true; value: RunSummary };
    const id = started.value.id;
    await waitFor(() => events.some((e) => e.event === 'run.progress' && e.data.runId === id && e.data.step >= 3));
    await workbench.request('runs.stop', { id });
    expect((await detail(id)).status).toBe('stopped');
    expect(await workbench.request('runs.resume', { id: 'no-such-run' })).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const resumed = await workbench.request('runs.resume', { id });
    expect(resumed).toMatchObject({ ok: true, value: { id, status: 'queued' } });
    await waitFor(() => lastStatus(id) === 'completed');
    expect(await workbench.request('runs.resume', { id })).toMatchObject({ ok: false, error: { code: 'conflict' } });

    const steps = (d: RunDetail) => d.metrics.filter((m): m is StepMetric => m.type === 'step');
    const run = await detail(id);
    expect(steps(run).map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(run.metrics.filter((m) => m.type === 'epoch')).toHaveLength(1);
    const reference = steps(await detail(whole.value.id)).map((m) => m.loss);
    steps(run).forEach((m, i) => expect(Math.abs(m.loss - reference[i])).toBeLessThanOrEqual(1e-5));
  });

  it('counts a resumed time-budgeted run up to its fitted steps and epochs, not the configured ones', async () => {
    const progress = (runId: string) => events.flatMap((e) => (e.event === 'run.progress' && e.data.runId === runId ? [e.data] : []));
    // 50 epochs planned; half a minute fits far fewer.
    const budgeted = { ...config, epochs: 50, maxSteps: undefined, maxMinutes: 0.5 };
    const started = (await workbench.request('runs.start', budgeted)) as { ok: true; value: RunSummary };
    const id = started.value.id;
    await waitFor(() => workbench.store.read(id).budget != null && progress(id).length > 0, 120_000);
    await workbench.request('runs.stop', { id });
    const fit = workbench.store.read(id).budget!;
    const { stepsPerEpoch } = progress(id)[0];
    expect(fit.plannedSteps).toBe(50 * stepsPerEpoch);
    const endEpoch = Math.ceil(fit.fittedSteps / stepsPerEpoch);
    expect(endEpoch).toBeLessThan(50);
    const before = progress(id).length;

    expect(await workbench.request('runs.resume', { id })).toMatchObject({ ok: true });
    await waitFor(() => progress(id).length > before, 120_000);
    expect(progress(id)[before]).toMatchObject({ totalSteps: fit.fittedSteps, epochs: endEpoch });
    await workbench.request('runs.stop', { id });
  }, 300_000);

  it('counts a run shortened by maxSteps up to the epoch its last step falls in', async () => {
    const started = (await workbench.request('runs.start', { ...config, epochs: 30 })) as { ok: true; value: RunSummary };
    const id = started.value.id;
    await waitFor(() => lastStatus(id) === 'completed');
    const progress = events.filter((e) => e.event === 'run.progress' && e.data.runId === id);
    expect(progress.length).toBeGreaterThan(0);
    for (const e of progress) expect(e.event === 'run.progress' && [e.data.epochs, e.data.totalSteps]).toEqual([1, 8]);
  });
});

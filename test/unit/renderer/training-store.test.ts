// @vitest-environment jsdom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { useTrainingStore } from '../../../src-renderer/stores/training';
import { detail, epochLine, settle, standardClient, stepLine, summary, type FakeClient } from './fake-client';

function setup(client: FakeClient = standardClient()) {
  setActivePinia(createPinia());
  useConnectionStore().attach(client);
  const training = useTrainingStore();
  Object.assign(training.form, { model: 'resnet18', dataset: 'fashion-mnist-subset' });
  return { client, training };
}

function progress(runId: string, metrics: ReturnType<typeof stepLine | typeof epochLine>[], step: number) {
  return {
    event: 'run.progress' as const,
    data: { runId, epoch: 1, epochs: 3, step, stepsPerEpoch: 10, totalSteps: 30, imagesPerSec: 250, etaSeconds: 12, metrics },
  };
}

describe('training store', () => {
  beforeEach(() => localStorage.clear());

  it('appends the points of progress events to the series and bumps the version', async () => {
    const { client, training } = setup();
    await training.start();
    const before = training.seriesVersion;

    client.emit(progress('run-1', [stepLine(1), stepLine(2)], 2));
    expect(training.series.stepLoss.map((point) => point.x)).toEqual([1, 2]);
    expect(training.series.stepAccuracy).toHaveLength(2);
    expect(training.seriesVersion).toBeGreaterThan(before);

    client.emit(progress('run-1', [stepLine(3), epochLine(1, 3)], 3));
    expect(training.series.stepLoss).toHaveLength(3);
    expect(training.series.trainLoss).toEqual([{ x: 3, y: 1 }]);
    expect(training.series.valAccuracy).toEqual([{ x: 3, y: 0.45 }]);
    expect(training.progress).toMatchObject({ epoch: 1, epochs: 3, step: 3, imagesPerSec: 250, etaSeconds: 12 });
    expect(training.fraction).toBeCloseTo(0.1);
    expect(training.status).toBe('running');
  });

  it('ignores lines it already has and events of other runs while one is running', async () => {
    const { client, training } = setup();
    await training.start();
    client.emit(progress('run-1', [stepLine(1), stepLine(2)], 2));
    client.emit(progress('run-1', [stepLine(2), stepLine(3)], 3));
    client.emit(progress('someone-else', [stepLine(9)], 9));
    expect(training.series.stepLoss.map((point) => point.x)).toEqual([1, 2, 3]);
    expect(training.runId).toBe('run-1');
  });

  it('reattaches to a running run on load: history first, then the events that arrived meanwhile', async () => {
    let answer: (value: unknown) => void = () => {};
    const client = standardClient()
      .handle('runs.list', () => ({ ok: true, value: [summary({ id: 'done', status: 'completed' }), summary({ id: 'live', status: 'running' })] }))
      .handle('runs.get', () => new Promise((resolve) => (answer = resolve as (value: unknown) => void)));
    const { training } = setup(client);

    const reattached = training.reattach();
    await settle();
    expect(client.callsOf('runs.get')).toEqual([{ id: 'live' }]);
    // An event lands while the history is still on its way.
    client.emit(progress('live', [stepLine(2), stepLine(3)], 3));
    expect(training.series.stepLoss).toHaveLength(0);

    answer({ ok: true, value: detail({ id: 'live', steps: 2, metrics: [stepLine(1), stepLine(2)] }) });
    await reattached;

    expect(training.runId).toBe('live');
    expect(training.isRunning).toBe(true);
    expect(training.series.stepLoss.map((point) => point.x)).toEqual([1, 2, 3]);
    expect(training.form).toMatchObject({ model: 'resnet18', batchSize: 16, optimizer: 'sgd' });
    expect(training.progress?.step).toBe(3);
  });

  it("on reattaching shows the worker's plan (a time budget's epochs and steps), not the config's", async () => {
    const client = standardClient()
      .handle('runs.list', () => ({ ok: true, value: [summary({ id: 'live', status: 'running' })] }))
      .handle('runs.get', () => ({ ok: true, value: detail({ id: 'live', steps: 40, plan: { epochs: 7, stepsPerEpoch: 422, totalSteps: 2954, threads: 2 } }) }));
    const { training } = setup(client);
    await training.reattach();
    // The config says 3 epochs and no step limit; the worker fitted 7 epochs, 2,954 steps.
    expect(training.progress).toMatchObject({ step: 40, epochs: 7, stepsPerEpoch: 422, totalSteps: 2954, threads: 2 });
  });

  it("never carries one run's plan over to the next run it follows", async () => {
    const client = standardClient().handle('runs.get', (params) => ({ ok: true, value: detail({ id: (params as { id: string }).id }) }));
    const { training } = setup(client);
    await training.start();
    client.emit(progress('run-1', [stepLine(1)], 1));
    expect(training.progress).toMatchObject({ epochs: 3, totalSteps: 30 });
    client.emit({ event: 'run.status', data: { runId: 'run-1', status: 'completed', error: null } });
    // A run started from the CLI, with no plan yet: its config's 3 epochs and no step total, not run-1's 30 steps.
    client.emit({ event: 'run.status', data: { runId: 'cli-run', status: 'running', error: null } });
    await settle();
    expect(training.runId).toBe('cli-run');
    expect(training.progress).toMatchObject({ epochs: 3, totalSteps: 0, stepsPerEpoch: 0 });
  });

  it('follows run.status to the end of the run', async () => {
    const { client, training } = setup();
    await training.start();
    client.emit({ event: 'run.status', data: { runId: 'run-1', status: 'failed', error: 'out of memory' } });
    expect(training.isRunning).toBe(false);
    expect(training.runError).toBe('out of memory');
    expect(training.canStart).toBe(true);
  });

  it('adopts a run started elsewhere when idle', async () => {
    const client = standardClient().handle('runs.get', () => ({ ok: true, value: detail({ id: 'cli-run', metrics: [stepLine(1)] }) }));
    const { training } = setup(client);
    client.emit({ event: 'run.status', data: { runId: 'cli-run', status: 'running', error: null } });
    await settle();
    expect(training.runId).toBe('cli-run');
    expect(training.series.stepLoss).toHaveLength(1);
  });

  it('keeps the form across reloads', () => {
    setup();
    const training = useTrainingStore();
    training.form.epochs = 12;
    return settle().then(() => {
      setActivePinia(createPinia());
      useConnectionStore().attach(standardClient());
      expect(useTrainingStore().form.epochs).toBe(12);
    });
  });
});

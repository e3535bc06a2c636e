/**
 * The training worker: one child process per run, forked by Core. It owns its run folder while it
 * runs (single writer): run.json status, metrics.jsonl and checkpoints. A native crash or an
 * out-of-memory here kills this process, never the app.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import type { EpochMetric } from '../contract';
import { loadDataset } from '../data/datasets';
import { initBackend } from '../engine';
import { MetricsAppender, RunStore, type RunRecord } from '../store/runs';
import { createModel } from '../zoo';
import { saveCheckpoint } from './checkpoint';
import { runTraining } from './loop';
import type { HostToWorker, WorkerToHost } from './protocol';

let stopRequested = false;

function send(message: WorkerToHost): void {
  process.send?.(message);
}

async function train(home: string, runId: string, datasetRoots: string[]): Promise<void> {
  const store = new RunStore(home);
  let record: RunRecord = store.read(runId);
  const config = record.config;
  const backend = await initBackend(config.backend);
  record = store.update(runId, {
    status: 'running',
    startedAt: new Date().toISOString(),
    workerPid: process.pid,
    backend,
    versions: { ...record.versions, tfjs: tf.version_core, node: process.versions.node },
  });
  const appender = new MetricsAppender(join(store.runDir(runId), 'metrics.jsonl'));
  const checkpointsDir = join(store.runDir(runId), 'checkpoints');
  let best = -Infinity;
  let lastEpoch: EpochMetric | null = null;
  let steps = 0;
  try {
    const dataset = await loadDataset({ roots: datasetRoots }, config.dataset);
    const model = createModel(config.model, { input: dataset.info.input, classes: dataset.info.classes.length });
    const outcome = await runTraining(config, dataset, model, {
      shouldStop: () => stopRequested,
      onStart: (plan) => send({ type: 'started', backend, stepsPerEpoch: plan.stepsPerEpoch, totalSteps: plan.totalSteps, epochs: config.epochs }),
      onMetric: (event) => {
        appender.append(event);
        steps = event.step;
        if (event.type === 'epoch') lastEpoch = event;
        send({ type: 'metric', event });
      },
      onCheckpoint: async ({ epoch, step, metric, model: trained, optimizer }) => {
        appender.sync();
        const state = { epoch, step, savedAt: new Date().toISOString(), seed: config.seed };
        await saveCheckpoint(checkpointsDir, 'last', trained, optimizer, state);
        if (metric) {
          const score = metric.valAccuracy ?? metric.trainAccuracy;
          if (score > best) {
            best = score;
            await saveCheckpoint(checkpointsDir, 'best', trained, optimizer, state);
          }
        }
        record = store.update(runId, { epochsDone: epoch, steps: step, final: finalOf(lastEpoch) });
      },
    });
    appender.close();
    store.update(runId, { status: outcome, endedAt: new Date().toISOString(), workerPid: null, steps, final: finalOf(lastEpoch) });
    send({ type: 'ended', status: outcome, error: null });
  } catch (error) {
    appender.close();
    const message = error instanceof Error ? error.message : String(error);
    store.update(runId, { status: 'failed', endedAt: new Date().toISOString(), workerPid: null, steps, final: finalOf(lastEpoch), error: message });
    send({ type: 'ended', status: 'failed', error: message });
    process.exitCode = 1;
  }
}

function finalOf(metric: EpochMetric | null): RunRecord['final'] {
  return {
    trainLoss: metric?.trainLoss ?? null,
    trainAccuracy: metric?.trainAccuracy ?? null,
    valLoss: metric?.valLoss ?? null,
    valAccuracy: metric?.valAccuracy ?? null,
  };
}

process.on('SIGTERM', () => {
  stopRequested = true;
});

process.on('message', (message: HostToWorker) => {
  if (message.type === 'stop') {
    stopRequested = true;
  } else if (message.type === 'start') {
    train(message.home, message.runId, message.datasetRoots).finally(() => {
      process.disconnect?.();
    });
  }
});

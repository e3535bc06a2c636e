/**
 * The training worker: one child process per run, forked by Core. It owns its run folder while it
 * runs (single writer): run.json status, metrics.jsonl and checkpoints. A native crash or an
 * out-of-memory here kills this process, never the app.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TrainConfigSchema, type EpochMetric } from '../contract';
import { loadDataset } from '../data/datasets';
import { initBackend } from '../engine';
import { MetricsAppender, RunStore, type RunRecord } from '../store/runs';
import { loadCheckpoint, saveCheckpoint, truncateMetrics } from './checkpoint';
import { buildTrainingModel, runTraining, type TrainOptions } from './loop';
import type { HostToWorker, WorkerToHost } from './protocol';

let stopRequested = false;

function send(message: WorkerToHost): void {
  process.send?.(message);
}

async function train(home: string, runId: string, datasetRoots: string[], resume: boolean): Promise<void> {
  const store = new RunStore(home);
  let record: RunRecord = store.read(runId);
  const runDir = store.runDir(runId);
  const metricsFile = join(runDir, 'metrics.jsonl');
  const checkpointsDir = join(runDir, 'checkpoints');
  let appender: MetricsAppender | null = null;
  let lastEpoch: EpochMetric | null = null;
  let steps = resume ? record.steps : 0;
  try {
    // Fills the defaults of fields added since an older run.json was written.
    const config = TrainConfigSchema.parse(record.config);
    const backend = await initBackend(config.backend);
    record = store.update(runId, {
      status: 'running',
      startedAt: resume && record.startedAt ? record.startedAt : new Date().toISOString(),
      endedAt: null,
      error: null,
      workerPid: process.pid,
      backend,
      versions: { ...record.versions, tfjs: tf.version_core, node: process.versions.node },
    });
    const dataset = await loadDataset({ roots: datasetRoots }, config.dataset);
    const model = buildTrainingModel(config, dataset.info.input, dataset.info.classes.length, config.modelOptions);
    const options: TrainOptions = {};
    if (resume) {
      const last = join(checkpointsDir, 'last');
      // A run interrupted before its first checkpoint starts over: with its seed, on the same curve.
      const checkpoint = existsSync(join(last, 'state.json')) ? loadCheckpoint(last, model) : null;
      steps = checkpoint?.state.step ?? 0;
      truncateMetrics(metricsFile, steps);
      if (checkpoint) options.resume = checkpoint;
      lastEpoch = store.readMetrics(runId).filter((m): m is EpochMetric => m.type === 'epoch').pop() ?? null;
    }
    const metrics = new MetricsAppender(metricsFile);
    appender = metrics;
    const outcome = await runTraining(
      config,
      dataset,
      model,
      {
        shouldStop: () => stopRequested,
        onStart: (plan) => send({ type: 'started', backend, stepsPerEpoch: plan.stepsPerEpoch, totalSteps: plan.totalSteps, epochs: config.epochs }),
        onMetric: (event) => {
          metrics.append(event);
          steps = event.step;
          if (event.type === 'epoch') lastEpoch = event;
          send({ type: 'metric', event });
        },
        onCheckpoint: async ({ state, isBest, model: trained, optimizer }) => {
          metrics.sync();
          await saveCheckpoint(checkpointsDir, 'last', trained, optimizer, state);
          if (isBest) await saveCheckpoint(checkpointsDir, 'best', trained, optimizer, state);
          record = store.update(runId, { epochsDone: state.epoch, steps: state.step, final: finalOf(lastEpoch) });
        },
      },
      options,
    );
    metrics.close();
    store.update(runId, { status: outcome, endedAt: new Date().toISOString(), workerPid: null, steps, final: finalOf(lastEpoch) });
    send({ type: 'ended', status: outcome, error: null });
  } catch (error) {
    appender?.close();
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
    train(message.home, message.runId, message.datasetRoots, message.resume === true).finally(() => {
      process.disconnect?.();
    });
  }
});

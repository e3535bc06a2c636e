/**
 * The training worker: one child process per run, forked by Core. It owns its run folder while it
 * runs (single writer): run.json status, metrics.jsonl and checkpoints. A native crash or an
 * out-of-memory here kills this process, never the app.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RecordedTrainConfigSchema, type EpochMetric } from '../contract';
import { DEFAULT_MEMORY_BUDGET, openTrainingDataset } from '../data/datasets';
import { describePreprocessing, PREPROCESSING_FILE } from '../data/preprocess';
import { defaultThreads, initBackend } from '../engine';
import { evaluateRun } from '../infer/evaluate';
import { MetricsAppender, RunStore, type RunRecord } from '../store/runs';
import { loadCheckpoint, saveCheckpoint, truncateMetrics } from './checkpoint';
import { buildTrainingModel, endEpochOf, runTraining, type TrainOptions } from './loop';
import { splitsBatches } from './replicas';
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
  const checkpointFiles: Record<string, string> = {};
  try {
    // Fills the defaults of fields added since an older run.json was written.
    const config = RecordedTrainConfigSchema.parse(record.config);
    // Data-parallel: every thread, this one included, runs a single-threaded backend of its own.
    const started = await initBackend(config.backend, { threads: config.dataParallel ? 1 : (config.threads ?? defaultThreads()) });
    const split = splitsBatches(config, started.name);
    const backend = split ? { ...started, threads: split, device: `${started.device}, each batch split across ${split} threads` } : started;
    record = store.update(runId, {
      status: 'running',
      startedAt: resume && record.startedAt ? record.startedAt : new Date().toISOString(),
      endedAt: null,
      error: null,
      workerPid: process.pid,
      backend,
      versions: { ...record.versions, tfjs: tf.version_core, node: process.versions.node },
    });
    // Splits larger than the memory budget stream from the dataset's cache (CVB_DATASET_MEMORY_BUDGET, bytes).
    const budget = process.env.CVB_DATASET_MEMORY_BUDGET ? Number(process.env.CVB_DATASET_MEMORY_BUDGET) : NaN;
    const dataset = await openTrainingDataset({ roots: datasetRoots }, config.dataset, { memoryBudget: Number.isFinite(budget) && budget >= 0 ? budget : DEFAULT_MEMORY_BUDGET });
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
        onStart: (plan, normalization) => {
          // Inference and evaluation read the training preprocessing from each checkpoint.
          const preprocessing = describePreprocessing(dataset.info.input, dataset.info.classes, normalization);
          checkpointFiles[PREPROCESSING_FILE] = `${JSON.stringify(preprocessing, null, 2)}\n`;
          send({ type: 'started', backend, stepsPerEpoch: plan.stepsPerEpoch, totalSteps: plan.totalSteps, epochs: endEpochOf(plan) });
        },
        onMetric: (event) => {
          metrics.append(event);
          steps = event.step;
          if (event.type === 'epoch') lastEpoch = event;
          send({ type: 'metric', event });
        },
        onBudget: (fit, plan) => {
          record = store.update(runId, { budget: fit });
          send({ type: 'budget', fit, totalSteps: plan.totalSteps, epochs: endEpochOf(plan) });
        },
        onCheckpoint: async ({ state, isBest, model: trained, optimizer }) => {
          metrics.sync();
          await saveCheckpoint(checkpointsDir, 'last', trained, optimizer, state, checkpointFiles);
          if (isBest) await saveCheckpoint(checkpointsDir, 'best', trained, optimizer, state, checkpointFiles);
          record = store.update(runId, { epochsDone: state.epoch, steps: state.step, final: finalOf(lastEpoch) });
        },
      },
      options,
    );
    metrics.close();
    store.update(runId, { status: outcome, endedAt: new Date().toISOString(), workerPid: null, steps, final: finalOf(lastEpoch) });
    if (outcome === 'completed' && dataset.info.testCount > 0) {
      // The test-set evaluation of a finished run; a failure here leaves the run completed.
      try {
        await evaluateRun({ store, runId, datasetRoots, checkpoint: 'best' });
      } catch (evalError) {
        process.stderr.write(`evaluation failed: ${(evalError as Error).message}\n`);
      }
    }
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
    void train(message.home, message.runId, message.datasetRoots, message.resume === true).finally(() => {
      process.disconnect?.();
    });
  }
});

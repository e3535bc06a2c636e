/**
 * Core's side of issue 14: a run exported as a PyTorch DDP job folder (src-main/export/job.ts), whose
 * results come back through runs.import (run-library.ts); and an experiment exported as one job per
 * arm and seed (export/experiment.ts), whose results come back through experiments.import, which
 * rebuilds the experiment around the imported runs so its analysis and verdict read them as any other.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetInfo, ExperimentSummary } from '../contract';
import { findDatasetDirs, listDatasets, type DatasetLocations } from '../data/datasets';
import { armLabel } from '../experiments/analysis';
import { slotRunMeta, type ExperimentRecord, type ExperimentStore } from '../experiments/store';
import { importExperimentRuns, readExperimentJobs, writeExperimentJobs, type ExperimentJobsFile, type ExperimentTask } from '../export/experiment';
import { RunFolderError } from '../export/import';
import { describeJob, JobExportError, writeJobFolder } from '../export/job';
import type { RunStore } from '../store/runs';
import { fail, guardedBy, WorkbenchError } from './errors';
import { toExperimentError } from './experiments';
import type { Handlers } from './handlers';

export interface JobServiceOptions {
  store: RunStore;
  experiments: ExperimentStore;
  /** The experiment's summary as `experiments.list` gives it (its runs' live status included). */
  experimentSummary(id: string): ExperimentSummary;
  locations: DatasetLocations;
  exportsDir: string;
  version: string;
}

const guarded = guardedBy((error) => {
  if (error instanceof JobExportError) return new WorkbenchError({ code: 'invalid_request', field: error.field, message: `${error.field}: ${error.message}` });
  if (error instanceof RunFolderError) return new WorkbenchError({ code: 'invalid_request', field: error.field, message: error.message });
  return toExperimentError(error);
});

/** `base`, else `base-2`, `base-3`, ...: a default export folder never lands on an earlier one. */
function freshPath(base: string): string {
  let path = base;
  for (let n = 2; existsSync(path) && readdirSync(path).length > 0; n++) path = `${base}-${n}`;
  return path;
}

export function createJobService(options: JobServiceOptions): { handlers: Handlers<'runs.exportJob' | 'experiments.exportJobs' | 'experiments.import'> } {
  const { store, locations, experiments } = options;

  /** The dataset a job trains on, with its folder on this machine (train.py's default --data). */
  async function jobDataset(id: string, field: string, owner: string): Promise<{ dataset: DatasetInfo; datasetPath: string | null }> {
    const dataset = (await listDatasets(locations)).find((d) => d.id === id);
    if (!dataset) {
      return fail({ code: 'unavailable', field, message: `${owner} dataset "${id}" is not in this workbench; import it first (the job needs its classes and input size)` });
    }
    return { dataset, datasetPath: (await findDatasetDirs(locations)).get(dataset.id)?.dir ?? null };
  }

  async function exportExperiment(id: string, out: string | undefined) {
    const record = experiments.read(id);
    const datasets = [...new Set(record.arms.map((arm) => arm.config.dataset))];
    if (datasets.length > 1) fail({ code: 'unavailable', field: 'id', message: `id: the arms of experiment "${id}" train on different datasets (${datasets.join(', ')}); a jobs folder carries one` });
    const { dataset, datasetPath } = await jobDataset(datasets[0], 'id', "the experiment's");
    const path = out ? resolve(out) : freshPath(join(options.exportsDir, `${id}-pytorch-jobs`));
    const { arms, state: _state, error: _error, createdAt: _createdAt, schemaVersion: _version, ...definition } = record;
    const plan = { ...definition, arms: arms.map((arm) => ({ label: armLabel(record.vary.field, arm.value), value: arm.value, config: arm.config })) };
    const { files, tasks, jobs } = await writeExperimentJobs(plan, dataset, datasetPath, options.version, path);
    return { path, files, tasks: tasks.length, arms: jobs.map((job, arm) => ({ value: arms[arm].value, trainableParameters: job.model.trainableParameters })) };
  }

  /**
   * This workbench's copy of the experiment when an earlier import of the same jobs folder made it:
   * its filled slots hold the tasks' own run ids (an experiment trained here never has those).
   */
  function earlierImport({ experiment, tasks }: ExperimentJobsFile): ExperimentRecord | null {
    if (!experiments.ids().includes(experiment.id)) return null;
    const local = experiments.read(experiment.id);
    const slotOf = (task: ExperimentTask) => local.arms[task.arm]?.runs[task.seed] ?? null;
    const same = local.arms.length === experiment.arms.length && tasks.some((task) => slotOf(task) === task.runId) && tasks.every((task) => [null, task.runId].includes(slotOf(task)));
    return same ? local : null;
  }

  /**
   * Imports the runs the jobs wrote and writes the experiment record around them: under its own id
   * when this workbench does not have it (it comes home), else under a new one (a second copy). A
   * folder imported before fills the slots still empty, as more of its jobs finish. The record is
   * stopped, so the queue never starts the empty slots unasked; `resume` runs them here.
   */
  function importExperiment(path: string) {
    const dir = resolve(path);
    const { manifest, armConfigs } = readExperimentJobs(dir);
    const { experiment } = manifest;
    const record: ExperimentRecord = earlierImport(manifest) ?? {
      schemaVersion: 1,
      id: experiments.ids().includes(experiment.id) ? experiments.newId() : experiment.id,
      name: experiment.name,
      builtin: experiment.builtin,
      createdAt: new Date().toISOString(),
      state: 'stopped',
      error: null,
      base: experiment.base,
      vary: experiment.vary,
      seeds: experiment.seeds,
      firstSeed: experiment.firstSeed,
      metric: experiment.metric,
      arms: experiment.arms.map(({ value }, arm) => ({ value, config: armConfigs[arm], runs: [] })),
      claims: experiment.claims,
      figure: experiment.figure,
    };
    const empty = (task: ExperimentTask) => {
      const id = record.arms[task.arm].runs[task.seed];
      return !id || !existsSync(store.runDir(id));
    };
    const slots = importExperimentRuns(store, dir, { ...manifest, tasks: manifest.tasks.filter(empty) });
    for (const { task, run } of slots) {
      if (!run) continue;
      const runs = record.arms[task.arm].runs;
      while (runs.length < task.seed) runs.push(null);
      runs[task.seed] = run.id;
    }
    try {
      for (const { task, run } of slots) if (run) store.updateMeta(run.id, slotRunMeta(record, task.arm, task.seed));
      experiments.write(record);
    } catch (error) {
      for (const { run } of slots) if (run) store.delete(run.id);
      throw error;
    }
    return {
      ...options.experimentSummary(record.id),
      imported: slots.flatMap(({ run }) => (run ? [run.id] : [])),
      missing: manifest.tasks.filter(empty).map((task) => task.runId),
    };
  }

  return {
    handlers: {
      'runs.exportJob': guarded(async ({ id, out }) => {
        const record = store.read(id);
        const { dataset, datasetPath } = await jobDataset(record.config.dataset, 'id', "the run's");
        const path = resolve(out ?? join(options.exportsDir, `${id}-pytorch-job`));
        const job = await describeJob({ record, dataset, datasetPath, workbenchVersion: options.version });
        return { path, files: writeJobFolder(job, path), trainableParameters: job.model.trainableParameters };
      }),
      'experiments.exportJobs': guarded(({ id, out }) => exportExperiment(id, out)),
      'experiments.import': guarded(({ source }) => importExperiment(source.path)),
    },
  };
}

/**
 * An experiment as PyTorch DDP jobs: one job per arm (its own job.json, since arms may differ in
 * architecture or recipe) and one task per arm and seed, listed in jobs.tsv and launched by
 * run_all.sh (one machine) or slurm_array.sbatch (a Slurm array). Every task writes its run under
 * runs/<run id>, the ids fixed here, so `importExperimentRuns` can put each result back in its slot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_ID_PATTERN, type DatasetInfo, type TrainConfig } from '../contract';
import { checkRunFolder, importRunFolder, RunFolderError } from './import';
import { describeJob, JobExportError, type JobFile, writeJobFolder } from './job';
import RUN_ALL_SH from './job/run_all.sh';
import SLURM_ARRAY_SBATCH from './job/slurm_array.sbatch';
import type { RunRecord, RunStore } from '../store/runs';

/** What the export needs of an experiment (its store's record has more). */
export interface ExperimentPlan {
  id: string;
  name: string;
  /** Each arm's run configuration (its seed is replaced per task). */
  arms: { label: string; config: TrainConfig }[];
  seeds: number;
  firstSeed: number;
}

export interface ExperimentTask {
  task: number;
  arm: number;
  /** Index of the seed (0 … seeds − 1); the run's seed is firstSeed + this. */
  seed: number;
  runId: string;
}

/** experiment.json in the jobs folder: the plan and its tasks, read back by the import. */
export interface ExperimentJobsFile {
  format: 'cvb-pytorch-experiment';
  experiment: { id: string; name: string; seeds: number; firstSeed: number; arms: string[] };
  tasks: ExperimentTask[];
}

export const EXPERIMENT_JOB_FILES = ['experiment.json', 'jobs.tsv', 'run_all.sh', 'slurm_array.sbatch'] as const;

/** Tasks seed by seed across arms (as the workbench's queue runs them): paired results come first. */
export function experimentTasks(plan: Pick<ExperimentPlan, 'id' | 'arms' | 'seeds'>): ExperimentTask[] {
  const tasks: ExperimentTask[] = [];
  for (let seed = 0; seed < plan.seeds; seed++) {
    for (let arm = 0; arm < plan.arms.length; arm++) {
      const runId = `${plan.id}-arm${arm}-seed${seed}`;
      if (!RUN_ID_PATTERN.test(runId)) throw new JobExportError('id', `the experiment id "${plan.id}" does not make valid run ids`);
      tasks.push({ task: tasks.length, arm, seed, runId });
    }
  }
  return tasks;
}

/**
 * Writes the experiment's jobs folder at `target`: the shared job files (model.py, train.py, ...)
 * with the first arm's job.json, arms/<k>/job.json per arm, and the task list and launchers.
 */
export async function writeExperimentJobs(
  plan: ExperimentPlan,
  dataset: DatasetInfo,
  datasetPath: string | null,
  workbenchVersion: string,
  target: string,
): Promise<{ files: string[]; tasks: ExperimentTask[] }> {
  const jobs: JobFile[] = [];
  for (const [index, arm] of plan.arms.entries()) {
    const record = { id: plan.id, config: { ...arm.config, seed: plan.firstSeed }, meta: { name: `${plan.name} · ${arm.label}` } } as RunRecord;
    const job = await describeJob({ record, dataset, datasetPath, workbenchVersion });
    jobs.push({ ...job, run: { id: `${plan.id}-arm${index}`, name: `${plan.name} · ${arm.label}` } });
  }
  const tasks = experimentTasks(plan);
  const manifest: ExperimentJobsFile = {
    format: 'cvb-pytorch-experiment',
    experiment: { id: plan.id, name: plan.name, seeds: plan.seeds, firstSeed: plan.firstSeed, arms: plan.arms.map((a) => a.label) },
    tasks,
  };
  const tsv = ['task\tarm\tseed\trun\tjob', ...tasks.map((t) => `${t.task}\t${t.arm}\t${plan.firstSeed + t.seed}\t${t.runId}\tarms/${t.arm}/job.json`)].join('\n');
  const extra: Record<string, string> = {
    'experiment.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'jobs.tsv': `${tsv}\n`,
    'run_all.sh': RUN_ALL_SH,
    'slurm_array.sbatch': SLURM_ARRAY_SBATCH.replace('{{lastTask}}', String(tasks.length - 1)),
    ...Object.fromEntries(jobs.map((job, arm) => [`arms/${arm}/job.json`, `${JSON.stringify(job)}\n`])),
  };
  const files = writeJobFolder(jobs[0], target, extra);
  return { files, tasks };
}

/** Reads a jobs folder's experiment.json, or says why it is not one. */
export function readExperimentJobs(dir: string): ExperimentJobsFile {
  const file = join(dir, 'experiment.json');
  if (!existsSync(file)) throw new RunFolderError('source.path', `source.path: ${dir} is not an experiment's jobs folder (no experiment.json)`);
  let manifest: ExperimentJobsFile;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as ExperimentJobsFile;
  } catch (error) {
    throw new RunFolderError('source.path', `experiment.json cannot be read: ${(error as Error).message}`);
  }
  if (manifest?.format !== 'cvb-pytorch-experiment' || !Array.isArray(manifest.tasks)) {
    throw new RunFolderError('source.path', `experiment.json in ${dir} is not an experiment's job list`);
  }
  return manifest;
}

/**
 * Imports the runs the jobs wrote (runs/<run id>/ in the jobs folder); a task whose run folder is
 * not there yet is left empty. Returns the imported run of each task, or null.
 */
export function importExperimentRuns(store: RunStore, dir: string, manifest: ExperimentJobsFile): { task: ExperimentTask; run: RunRecord | null }[] {
  const folders = manifest.tasks.map((task) => {
    if (!RUN_ID_PATTERN.test(String(task.runId))) throw new RunFolderError('source.path', `experiment.json: task ${task.task} has no valid run id`);
    const folder = join(dir, 'runs', task.runId);
    return existsSync(join(folder, 'run.json')) ? folder : null;
  });
  // All are checked before any is imported: a damaged one leaves the store as it was.
  folders.forEach((folder) => folder && checkRunFolder(folder));
  return manifest.tasks.map((task, i) => ({ task, run: folders[i] ? importRunFolder(store, folders[i]) : null }));
}

/**
 * An experiment as PyTorch DDP jobs: one job per arm (its own job.json, since arms may differ in
 * architecture or recipe) and one task per arm and seed, listed in jobs.tsv and launched by
 * run_all.sh (one machine) or slurm_array.sbatch (a Slurm array). Every task writes its run under
 * runs/<run id>, the ids fixed here, so `importExperimentRuns` can put each result back in its slot.
 * experiment.json carries what the workbench needs to rebuild the experiment around those runs
 * (the varied field, the metric, the paper's claims), so the results come home as the experiment.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  errorFromZod,
  ExperimentIdSchema,
  ExperimentMetricSchema,
  PaperClaimSchema,
  PaperFigureSchema,
  RUN_ID_PATTERN,
  RunIdSchema,
  SwitchValueSchema,
  TrainConfigSchema,
  type DatasetInfo,
  type TrainConfig,
} from '../contract';
import { checkRunFolder, importRunFolder, RunFolderError } from './import';
import { checkJobTarget, describeJob, JobExportError, type JobFile, writeJobFolder } from './job';
import RUN_ALL_SH from './job/run_all.sh';
import SLURM_ARRAY_SBATCH from './job/slurm_array.sbatch';
import type { RunRecord, RunStore } from '../store/runs';

/** Bumped when experiment.json's layout changes; the import refuses another. */
export const EXPERIMENT_LAYOUT_VERSION = 2;

const ExperimentTaskSchema = z.object({
  task: z.number().int().min(0),
  arm: z.number().int().min(0),
  /** Index of the seed (0 … seeds − 1); the run's seed is firstSeed + this. */
  seed: z.number().int().min(0),
  runId: RunIdSchema,
});
export type ExperimentTask = z.infer<typeof ExperimentTaskSchema>;

/** experiment.json in the jobs folder: the experiment's definition and its tasks, read back by the import. */
const ExperimentJobsFileSchema = z.object({
  format: z.literal('cvb-pytorch-experiment'),
  layoutVersion: z.literal(EXPERIMENT_LAYOUT_VERSION),
  experiment: z.object({
    id: ExperimentIdSchema,
    name: z.string().min(1),
    builtin: z.string().nullable(),
    seeds: z.number().int().min(1),
    firstSeed: z.number().int().min(0),
    vary: z.object({ field: z.string().min(1), values: z.array(SwitchValueSchema) }),
    metric: ExperimentMetricSchema,
    base: TrainConfigSchema,
    claims: z.array(PaperClaimSchema),
    figure: PaperFigureSchema.nullable(),
    /** Per arm: its value of the varied field; its whole configuration is arms/<k>/job.json's. */
    arms: z.array(z.object({ label: z.string(), value: SwitchValueSchema })).min(1),
  }),
  tasks: z.array(ExperimentTaskSchema).min(1),
});
export type ExperimentJobsFile = z.infer<typeof ExperimentJobsFileSchema>;

/** What the export needs of an experiment: its definition, and each arm's run configuration (its seed is replaced per task). */
export type ExperimentPlan = Omit<ExperimentJobsFile['experiment'], 'arms'> & {
  arms: { label: string; value: ExperimentJobsFile['experiment']['arms'][number]['value']; config: TrainConfig }[];
};

/** An experiment's jobs folder as read back: the manifest, and each arm's configuration from its job.json. */
export interface ExperimentJobs {
  manifest: ExperimentJobsFile;
  armConfigs: TrainConfig[];
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
 * Writes the experiment's jobs folder at `target`, which must be new or empty (a jobs folder may
 * already hold results in runs/): the shared job files (model.py, train.py, ...) with the first
 * arm's job.json, arms/<k>/job.json per arm, and the task list and launchers. Whole or not at all.
 */
export async function writeExperimentJobs(
  plan: ExperimentPlan,
  dataset: DatasetInfo,
  datasetPath: string | null,
  workbenchVersion: string,
  target: string,
): Promise<{ files: string[]; tasks: ExperimentTask[]; jobs: JobFile[] }> {
  checkJobTarget(target, false);
  const tasks = experimentTasks(plan);
  const jobs: JobFile[] = [];
  for (const [index, arm] of plan.arms.entries()) {
    const record = { id: plan.id, config: { ...arm.config, seed: plan.firstSeed }, meta: { name: `${plan.name} · ${arm.label}` } } as RunRecord;
    const job = await describeJob({ record, dataset, datasetPath, workbenchVersion });
    jobs.push({ ...job, run: { id: `${plan.id}-arm${index}`, name: `${plan.name} · ${arm.label}` } });
  }
  const { arms, ...definition } = plan;
  const manifest: ExperimentJobsFile = {
    format: 'cvb-pytorch-experiment',
    layoutVersion: EXPERIMENT_LAYOUT_VERSION,
    experiment: { ...definition, arms: arms.map(({ label, value }) => ({ label, value })) },
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
  const files = writeJobFolder(jobs[0], target, extra, false);
  return { files, tasks, jobs };
}

const refuse = (message: string): never => {
  throw new RunFolderError('source.path', `source.path: ${message}`);
};

function readJson(file: string, name: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return refuse(`${name} cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Reads a jobs folder's experiment.json and every arm's job.json, or says why it is not one; the
 * files come from another machine, so every field is checked before anything is imported.
 */
export function readExperimentJobs(dir: string): ExperimentJobs {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) refuse(`no folder at ${dir}`);
  if (!existsSync(join(dir, 'experiment.json'))) {
    const hint = existsSync(join(dir, 'run.json')) || existsSync(join(dir, 'job.json')) ? '; a single run folder imports with `cvb runs import`' : '';
    refuse(`${dir} is not an experiment's jobs folder (no experiment.json)${hint}`);
  }
  const raw = readJson(join(dir, 'experiment.json'), 'experiment.json');
  const parsed = ExperimentJobsFileSchema.safeParse(raw);
  if (!parsed.success) refuse(`experiment.json: ${errorFromZod(parsed.error, raw).message}`);
  const manifest = parsed.data!;
  const { experiment, tasks } = manifest;
  const armConfigs = experiment.arms.map((_, arm) => {
    const file = join(dir, 'arms', String(arm), 'job.json');
    if (!existsSync(file)) refuse(`arms/${arm}/job.json is missing; was the folder copied whole?`);
    const job = readJson(file, `arms/${arm}/job.json`) as { config?: unknown } | null;
    const config = TrainConfigSchema.safeParse(job?.config);
    if (!config.success) refuse(`arms/${arm}/job.json: ${errorFromZod(config.error, job?.config, 'config').message}`);
    return config.data!;
  });
  for (const task of tasks) {
    if (task.arm >= experiment.arms.length || task.seed >= experiment.seeds) {
      refuse(`experiment.json: task ${task.task} names arm ${task.arm}, seed ${task.seed}, outside ${experiment.arms.length} arms × ${experiment.seeds} seeds`);
    }
  }
  return { manifest, armConfigs };
}

/** The run folders the tasks wrote so far (runs/<run id>/ in the jobs folder), by task; null where there is none yet. */
function taskRunFolders(dir: string, manifest: ExperimentJobsFile): (string | null)[] {
  return manifest.tasks.map((task) => (existsSync(join(dir, 'runs', task.runId, 'run.json')) ? join(dir, 'runs', task.runId) : null));
}

/**
 * Imports the runs the jobs wrote; a task whose run folder is not there yet is left empty. Every
 * folder is checked before any is imported, and if one fails to import the ones before it are taken
 * out again, so the store ends with all of them or none. Returns the imported run of each task, or null.
 */
export function importExperimentRuns(store: RunStore, dir: string, manifest: ExperimentJobsFile): { task: ExperimentTask; run: RunRecord | null }[] {
  const folders = taskRunFolders(dir, manifest);
  folders.forEach((folder) => folder && checkRunFolder(folder));
  const imported: RunRecord[] = [];
  try {
    return manifest.tasks.map((task, i) => {
      const run = folders[i] ? importRunFolder(store, folders[i]) : null;
      if (run) imported.push(run);
      return { task, run };
    });
  } catch (error) {
    for (const run of imported) store.delete(run.id);
    throw error;
  }
}

/**
 * A run as a PyTorch DDP job: a self-contained folder (job.json, model.py, train.py, launchers,
 * requirements.txt, README.md) that trains the same network with the same recipe under torchrun,
 * Slurm or Ray, and writes a workbench run folder that `importJobRun` (runs import) brings back.
 *
 * The network travels as data: the layer graph TF.js saves with every checkpoint, which model.py
 * interprets (one interpreter for every family), plus the weight manifest in checkpoint order, so
 * the job can write its weights back in the workbench's checkpoint format.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TrainConfigSchema, type DatasetInfo, type TrainConfig } from '../contract';
import type { RunRecord } from '../store/runs';
import { buildTrainingModel } from '../train/loop';
import { getModelMeta } from '../zoo';
import LAUNCH_SH from './job/launch.sh';
import MODEL_PY from './job/model.py';
import RAY_TRAIN_PY from './job/ray_train.py';
import README_MD from './job/README.md';
import REQUIREMENTS_TXT from './job/requirements.txt';
import SLURM_SBATCH from './job/slurm.sbatch';
import TRAIN_PY from './job/train.py';

/** Bumped when job.json's layout changes; model.py refuses another. */
export const JOB_LAYOUT_VERSION = 1;

export interface JobWeight {
  /** As the checkpoint's manifest names it: `<layer>/<param>`. */
  name: string;
  layer: string;
  param: string;
  shape: number[];
}

export interface JobModel {
  name: string;
  trainableParameters: number;
  /** The TF.js layers topology (Keras JSON), as a checkpoint's model.json holds it. */
  topology: object;
  metadata: object | undefined;
  /** Every weight in checkpoint order (trainable first, then batch-norm statistics). */
  weights: JobWeight[];
  /** Loss weight of each output: [1] or [1, aux weight, ...]. */
  lossWeights: number[];
  /** The first output is already a softmax. */
  probabilities: boolean;
}

export interface JobFile {
  format: 'cvb-pytorch-job';
  layoutVersion: number;
  run: { id: string; name: string | null };
  config: TrainConfig;
  dataset: { id: string; name: string; classes: string[]; input: [number, number, number]; path: string | null };
  model: JobModel;
  workbench: { version: string };
}

export const JOB_FILES = ['job.json', 'model.py', 'train.py', 'requirements.txt', 'README.md', 'launch.sh', 'slurm.sbatch', 'ray_train.py'] as const;

export class JobExportError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobExportError';
  }
}

/**
 * The run's training network described for the job: graph, weight manifest, parameter count. It is
 * built once to read them; in a host process, which has no tensor backend of its own, on TF.js's cpu.
 */
export async function describeJobModel(config: TrainConfig, input: [number, number, number], classes: number): Promise<JobModel> {
  if (!getModelMeta(config.model)) throw new JobExportError('model', `unknown model "${config.model}"`);
  if (!tf.engine().backendName) {
    await tf.setBackend('cpu');
    // The cpu backend's first write prints advice to install tfjs-node: noise on a CLI's stderr for one model build.
    Object.assign(tf.backend(), { firstUse: false });
  }
  const model = buildTrainingModel(config, input, classes, config.modelOptions);
  try {
    const weights = model.weights.map((weight) => {
      const cut = weight.originalName.lastIndexOf('/');
      return { name: weight.originalName, layer: weight.originalName.slice(0, cut), param: weight.originalName.slice(cut + 1), shape: [...weight.shape] as number[] };
    });
    const metadata = model.getUserDefinedMetadata() as { cvb?: { lossWeights?: number[] } } | undefined;
    const last = model.outputLayers[0];
    return {
      name: config.model,
      trainableParameters: model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0),
      topology: model.toJSON(null, false) as object,
      metadata,
      weights,
      lossWeights: metadata?.cvb?.lossWeights ?? [1],
      probabilities: (last.getConfig() as { activation?: string }).activation === 'softmax',
    };
  } finally {
    model.dispose();
  }
}

function readme(job: JobFile): string {
  const values: Record<string, string> = {
    title: `PyTorch DDP job: ${job.run.name ?? job.run.id}`,
    runId: job.run.id,
    model: job.model.name,
    dataset: job.dataset.name,
    params: job.model.trainableParameters.toLocaleString('en-US'),
    dataPath: job.dataset.path ?? '(not on this machine)',
    input: `${job.dataset.input[0]}×${job.dataset.input[1]}×${job.dataset.input[2]}`,
    classes: String(job.dataset.classes.length),
  };
  return README_MD.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? '');
}

export interface JobExportOptions {
  record: RunRecord;
  dataset: DatasetInfo;
  /** The dataset's folder on this machine (train.py's default --data), if it has one. */
  datasetPath: string | null;
  workbenchVersion: string;
}

/** The job.json of a run. */
export async function describeJob({ record, dataset, datasetPath, workbenchVersion }: JobExportOptions): Promise<JobFile> {
  const parsed = TrainConfigSchema.safeParse(record.config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JobExportError(`config.${issue.path.join('.')}`, `run "${record.id}" has a configuration this workbench cannot read: ${issue.path.join('.')}: ${issue.message}`);
  }
  const config = parsed.data;
  return {
    format: 'cvb-pytorch-job',
    layoutVersion: JOB_LAYOUT_VERSION,
    run: { id: record.id, name: record.meta?.name ?? null },
    config,
    dataset: { id: dataset.id, name: dataset.name, classes: [...dataset.classes], input: [...dataset.input] as [number, number, number], path: datasetPath },
    model: await describeJobModel(config, dataset.input as [number, number, number], dataset.classes.length),
    workbench: { version: workbenchVersion },
  };
}

/**
 * Refuses an export target that holds something: a file, or a folder with anything in it. With
 * `replaceJob` a run's job folder is the exception (exported again after a change), unless its jobs
 * have written results into it (runs/), which a new export would delete.
 */
export function checkJobTarget(target: string, replaceJob: boolean): void {
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new JobExportError('out', `${target} is a file; choose a new or empty folder`);
  const entries = readdirSync(target);
  if (entries.length === 0) return;
  if (replaceJob && entries.includes('job.json') && !entries.includes('runs') && !entries.includes('experiment.json')) return;
  const what = entries.includes('runs') ? 'holds the results of its jobs (runs/)' : `is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''})`;
  throw new JobExportError('out', `${target} ${what}; choose a new or empty folder`);
}

/**
 * Writes the job folder at `target` whole or not at all (built beside it, then renamed); see
 * checkJobTarget for what may already be there. `extra` adds files by relative path (an
 * experiment's arms/<k>/job.json and launchers).
 */
export function writeJobFolder(job: JobFile, target: string, extra: Record<string, string> = {}, replaceJob = true): string[] {
  checkJobTarget(target, replaceJob);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const files: Record<(typeof JOB_FILES)[number], string> = {
      'job.json': `${JSON.stringify(job)}\n`,
      'model.py': MODEL_PY,
      'train.py': TRAIN_PY,
      'requirements.txt': REQUIREMENTS_TXT,
      'README.md': readme(job),
      'launch.sh': LAUNCH_SH,
      'slurm.sbatch': SLURM_SBATCH,
      'ray_train.py': RAY_TRAIN_PY,
    };
    for (const [name, text] of Object.entries({ ...files, ...extra })) {
      mkdirSync(dirname(join(tmp, name)), { recursive: true });
      writeFileSync(join(tmp, name), text);
    }
    for (const name of [...JOB_FILES, ...Object.keys(extra)].filter((n) => n.endsWith('.sh'))) chmodSync(join(tmp, name), 0o755);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return [...JOB_FILES, ...Object.keys(extra)];
}

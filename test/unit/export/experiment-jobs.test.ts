import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, truncateSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema, type DatasetInfo } from '../../../src-main/contract';
import { initBackend } from '../../../src-main/engine/backends';
import { importExperimentRuns, readExperimentJobs, writeExperimentJobs } from '../../../src-main/export/experiment';
import { RunStore } from '../../../src-main/store/runs';
import { pythonWithTorch, runPython } from './python';

const DATASET: DatasetInfo = {
  id: 'fashion-mnist-subset', name: 'Fashion-MNIST (bundled subset)', classes: Array.from({ length: 10 }, (_, i) => `c${i}`),
  input: [28, 28, 1], trainCount: 10000, testCount: 2000, source: 'test',
};
const DATASET_PATH = join(__dirname, '..', '..', '..', 'resources', 'datasets', 'fashion-mnist-subset');

let python: string;
beforeAll(async () => {
  python = pythonWithTorch();
  await initBackend('wasm');
});

describe('an experiment as PyTorch jobs', () => {
  it('writes one job per arm and one task per arm and seed, and imports the runs the tasks wrote into their slots', async () => {
    const base = TrainConfigSchema.parse({ model: 'resnet20', epochs: 1, batchSize: 16, learningRate: 0.05, validationFraction: 0.01, modelOptions: { widthMultiplier: 0.25 } });
    const plan = {
      id: 'exp-20261205-090000-ab12',
      name: 'SE on/off',
      arms: [false, true].map((se) => ({ label: `se=${se}`, config: { ...base, modelOptions: { ...base.modelOptions, se } } })),
      seeds: 2,
      firstSeed: 7,
    };
    const dir = join(mkdtempSync(join(tmpdir(), 'cvb-expjobs-')), 'jobs');
    const { files, tasks } = await writeExperimentJobs(plan, DATASET, DATASET_PATH, 'test', dir);
    expect(files).toEqual(expect.arrayContaining(['train.py', 'model.py', 'jobs.tsv', 'run_all.sh', 'slurm_array.sbatch', 'arms/0/job.json', 'arms/1/job.json']));
    expect(tasks.map((t) => [t.arm, t.seed])).toEqual([[0, 0], [1, 0], [0, 1], [1, 1]]);
    expect(readFileSync(join(dir, 'jobs.tsv'), 'utf8').trim().split('\n').slice(1)).toEqual([
      `0\t0\t7\t${plan.id}-arm0-seed0\tarms/0/job.json`,
      `1\t1\t7\t${plan.id}-arm1-seed0\tarms/1/job.json`,
      `2\t0\t8\t${plan.id}-arm0-seed1\tarms/0/job.json`,
      `3\t1\t8\t${plan.id}-arm1-seed1\tarms/1/job.json`,
    ]);
    expect(readFileSync(join(dir, 'slurm_array.sbatch'), 'utf8')).toContain('#SBATCH --array=0-3');
    for (const script of ['run_all.sh', 'slurm_array.sbatch', 'launch.sh', 'slurm.sbatch']) {
      expect(spawnSync('bash', ['-n', join(dir, script)]).status, script).toBe(0);
    }
    expect(statSync(join(dir, 'run_all.sh')).mode & 0o111).not.toBe(0);
    const arms = [0, 1].map((arm) => JSON.parse(readFileSync(join(dir, 'arms', `${arm}`, 'job.json'), 'utf8')));
    expect(arms.map((job) => job.config.modelOptions.se)).toEqual([false, true]);
    expect(arms[1].model.trainableParameters).toBeGreaterThan(arms[0].model.trainableParameters);

    // One task, as slurm_array.sbatch's task 1 runs it (without torchrun: one process).
    runPython(python, [join(dir, 'train.py'), '--job', 'arms/1/job.json', '--seed', '7', '--run-id', tasks[1].runId, '--out', 'runs', '--max-steps', '2'], { cwd: dir });
    const home = mkdtempSync(join(tmpdir(), 'cvb-expjobs-home-'));
    const store = new RunStore(home);
    const imported = importExperimentRuns(store, dir, readExperimentJobs(dir));
    expect(imported.map(({ run }) => run?.id ?? null)).toEqual([null, tasks[1].runId, null, null]);
    expect(imported[1].run).toMatchObject({ status: 'completed', config: { seed: 7, modelOptions: { se: true } }, backend: { name: 'pytorch-ddp ×1' } });

    // A damaged run folder refuses the whole import: nothing is added.
    const other = join(dir, 'runs', tasks[3].runId);
    cpSync(join(dir, 'runs', tasks[1].runId), other, { recursive: true });
    truncateSync(join(other, 'checkpoints', 'last', 'weights.bin'), 8);
    const before = store.list().length;
    expect(() => importExperimentRuns(store, dir, readExperimentJobs(dir))).toThrow(/weights\.bin holds 8 bytes/);
    expect(store.list()).toHaveLength(before);
    expect(() => readExperimentJobs(home)).toThrow(/not an experiment's jobs folder/);
  }, 300_000);
});

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExperimentDetailSchema, ExperimentImportResponseSchema, TrainConfigSchema } from '../../../src-main/contract';
import { armsFromVary } from '../../../src-main/experiments/plan';
import { ExperimentStore, type ExperimentRecord } from '../../../src-main/experiments/store';
import { buildMain, runCli as cvb } from '../helpers/build';
import { pythonWithTorch, runPython } from './python';

const EXPERIMENT_ID = 'exp-20261205-090000-ab12';

/** The run folders in a home, sorted (hidden staging folders excluded). */
function runFolders(home: string): string[] {
  return existsSync(join(home, 'runs')) ? readdirSync(join(home, 'runs')).filter((name) => !name.startsWith('.')).sort() : [];
}

/** An experiment as `experiment run --model resnet20 --vary se=false,true --seeds 2` records it, before any run starts. */
function writeExperiment(home: string, id = EXPERIMENT_ID): ExperimentRecord {
  const base = TrainConfigSchema.parse({
    model: 'resnet20', epochs: 1, batchSize: 16, learningRate: 0.05, validationFraction: 0.02, maxSteps: 3, seed: 7, modelOptions: { widthMultiplier: 0.25 },
  });
  const record: ExperimentRecord = {
    schemaVersion: 1, id, name: 'SE on/off', builtin: null, createdAt: '2026-12-05T09:00:00.000Z', state: 'stopped', error: null,
    base, vary: { field: 'se', values: [false, true] }, seeds: 2, firstSeed: 7, metric: 'valAccuracy',
    arms: armsFromVary(base, { field: 'se', values: [false, true] }), claims: [], figure: null,
  };
  new ExperimentStore(home).write(record);
  return record;
}

let python: string;
beforeAll(() => {
  python = pythonWithTorch();
  buildMain();
});

describe('an experiment as PyTorch jobs, round trip', () => {
  it('exports 2 arms × 2 seeds, runs every job (one under torchrun with 2 gloo processes), and imports the folder as the experiment', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-expjobs-'));
    writeExperiment(home);
    const dir = join(home, 'jobs');

    const exported = cvb(['experiment', 'export', EXPERIMENT_ID, '--kind', 'pytorch', '--out', dir, '--json'], home);
    expect(exported.code, exported.stderr).toBe(0);
    const job = exported.json[0];
    expect(job).toMatchObject({ path: dir, tasks: 4, arms: [{ value: false }, { value: true }] });
    expect(job.arms[1].trainableParameters).toBeGreaterThan(job.arms[0].trainableParameters);
    expect(job.files).toEqual(expect.arrayContaining(['train.py', 'model.py', 'experiment.json', 'jobs.tsv', 'run_all.sh', 'slurm_array.sbatch', 'arms/0/job.json', 'arms/1/job.json']));
    expect(readdirSync(home).filter((name) => name.startsWith('jobs'))).toEqual(['jobs']);
    const lines = readFileSync(join(dir, 'jobs.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t'));
    expect(lines).toEqual([
      ['0', '0', '7', `${EXPERIMENT_ID}-arm0-seed0`, 'arms/0/job.json'],
      ['1', '1', '7', `${EXPERIMENT_ID}-arm1-seed0`, 'arms/1/job.json'],
      ['2', '0', '8', `${EXPERIMENT_ID}-arm0-seed1`, 'arms/0/job.json'],
      ['3', '1', '8', `${EXPERIMENT_ID}-arm1-seed1`, 'arms/1/job.json'],
    ]);
    expect(readFileSync(join(dir, 'slurm_array.sbatch'), 'utf8')).toContain('#SBATCH --array=0-3');
    for (const script of ['run_all.sh', 'slurm_array.sbatch', 'launch.sh', 'slurm.sbatch']) expect(spawnSync('bash', ['-n', join(dir, script)]).status, script).toBe(0);
    expect(statSync(join(dir, 'run_all.sh')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain("## An experiment's jobs");

    // Each line of jobs.tsv as run_all.sh runs it: the first under torchrun with 2 gloo processes
    // (--redirects/--tee: Debian 12's torch 1.13 cannot parse their default), the others as one process.
    for (const [task, , seed, run, jobFile] of lines) {
      const trainArgs = [join(dir, 'train.py'), '--job', jobFile, '--seed', seed, '--run-id', run, '--out', 'runs', '--max-steps', '3'];
      const torchrun = ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', '--log_dir', join(home, 'torchrun-logs')];
      runPython(python, task === '0' ? [...torchrun, ...trainArgs] : trainArgs, { cwd: dir });
    }
    expect(readdirSync(join(dir, 'runs')).sort()).toEqual(lines.map((line) => line[3]).sort());

    // The runs import one at a time only with a hint to import the experiment instead.
    const asRuns = cvb(['runs', 'import', dir, '--json'], home);
    expect(asRuns.code).toBe(2);
    expect(asRuns.json[0].error).toMatchObject({ field: 'source.path', message: expect.stringContaining(`cvb experiment import ${dir}`) });

    // The original is still here, so the import is a second experiment with the same definition.
    const imported = cvb(['experiment', 'import', dir, '--json'], home);
    expect(imported.code, imported.stderr).toBe(0);
    const summary = ExperimentImportResponseSchema.parse(imported.json[0]);
    expect(summary.id).not.toBe(EXPERIMENT_ID);
    expect(summary).toMatchObject({ name: 'SE on/off', status: 'completed', done: 4, total: 4, missing: [], vary: { field: 'se', values: [false, true] }, seeds: 2 });
    expect(summary.imported).toEqual(lines.map((line) => line[3]));

    const shown = cvb(['experiment', 'show', summary.id, '--json'], home);
    expect(shown.code, shown.stderr).toBe(0);
    const detail = ExperimentDetailSchema.parse(shown.json[0]);
    expect(detail.arms.map((arm) => [arm.value, arm.runs, arm.statuses])).toEqual([
      [false, [lines[0][3], lines[2][3]], ['completed', 'completed']],
      [true, [lines[1][3], lines[3][3]], ['completed', 'completed']],
    ]);
    for (const arm of detail.arms) {
      expect(arm.final.values).toHaveLength(2);
      for (const value of arm.final.values) expect(value).toBeGreaterThanOrEqual(0);
      expect(arm.final.mean).not.toBeNull();
      expect(arm.final.ci95).not.toBeNull();
    }
    expect(detail.difference).toMatchObject({ metric: 'valAccuracy', arm: true, baseline: false, pairs: 2, method: 't' });
    expect(['better', 'worse', 'noise']).toContain(detail.difference!.details.kind);
    expect(detail.difference!.verdict).toMatch(/after 3 steps/);

    const runs = cvb(['runs', 'list', '--json'], home).json[0] as { id: string; tags: string[]; backend: string; name: string }[];
    const ddp = runs.find((run) => run.id === lines[0][3])!;
    expect(ddp).toMatchObject({ backend: 'pytorch-ddp ×2', tags: [summary.id], name: 'SE on/off: false, seed 1' });
    expect(runs.find((run) => run.id === lines[3][3])).toMatchObject({ backend: 'pytorch-ddp ×1', tags: [summary.id], name: 'SE on/off: true, seed 2' });

    // On another workbench, a copy cut short is refused as a whole: no run and no experiment is added.
    const laptop = mkdtempSync(join(tmpdir(), 'cvb-expjobs-laptop-'));
    const broken = join(laptop, 'broken');
    cpSync(dir, broken, { recursive: true });
    truncateSync(join(broken, 'runs', lines[2][3], 'checkpoints', 'last', 'weights.bin'), 8);
    const refused = cvb(['experiment', 'import', broken, '--json'], laptop);
    expect(refused.code).toBe(2);
    expect(refused.json[0].error).toMatchObject({ code: 'invalid_request', field: 'source.path', message: expect.stringMatching(/weights\.bin holds 8 bytes/) });
    expect(runFolders(laptop)).toEqual([]);
    expect(new ExperimentStore(laptop).ids()).toEqual([]);

    // There the experiment comes home under its own id; a task without results yet leaves its slot
    // empty and the experiment stopped rather than queued ...
    const partial = join(laptop, 'jobs');
    cpSync(dir, partial, { recursive: true });
    rmSync(join(partial, 'runs', lines[3][3]), { recursive: true });
    const first = cvb(['experiment', 'import', partial, '--json'], laptop);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json[0]).toMatchObject({ id: EXPERIMENT_ID, status: 'stopped', done: 3, total: 4, missing: [lines[3][3]] });
    const rebuilt = ExperimentDetailSchema.parse(cvb(['experiment', 'show', EXPERIMENT_ID, '--json'], laptop).json[0]);
    expect(rebuilt.arms[1].runs).toEqual([lines[1][3]]);
    expect(rebuilt.difference).toMatchObject({ pairs: 1 });

    // ... and importing the folder again once that job has run fills the slot, nothing twice.
    cpSync(join(dir, 'runs', lines[3][3]), join(partial, 'runs', lines[3][3]), { recursive: true });
    const again = cvb(['experiment', 'import', partial, '--json'], laptop);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json[0]).toMatchObject({ id: EXPERIMENT_ID, status: 'completed', done: 4, imported: [lines[3][3]], missing: [] });
    expect(runFolders(laptop)).toEqual(lines.map((line) => line[3]).sort());
    expect(new ExperimentStore(laptop).ids()).toEqual([EXPERIMENT_ID]);
  }, 600_000);

  it('refuses bad exports and imports with the field at fault and what was received, writing nothing', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-expjobs-bad-'));
    writeExperiment(home);

    const unknown = cvb(['experiment', 'export', 'exp-20200101-000000-0000', '--kind', 'pytorch', '--json'], home);
    expect(unknown.code).toBe(2);
    expect(unknown.json[0].error).toMatchObject({ code: 'not_found', field: 'id', message: expect.stringContaining('exp-20200101-000000-0000') });
    const badId = cvb(['experiment', 'export', 'Not An Id', '--kind', 'pytorch', '--json'], home);
    expect(badId.json[0].error).toMatchObject({ code: 'invalid_request', field: 'id' });

    const kind = cvb(['experiment', 'export', EXPERIMENT_ID, '--kind', 'torch', '--json'], home);
    expect(kind.code).toBe(2);
    expect(kind.json[0].error).toMatchObject({ field: 'kind', message: expect.stringContaining('received "torch"') });
    const noKind = cvb(['experiment', 'export', EXPERIMENT_ID, '--json'], home);
    expect(noKind.json[0].error).toMatchObject({ field: 'kind', message: expect.stringContaining('pytorch') });

    const occupied = join(home, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'notes.txt'), 'mine');
    const refused = cvb(['experiment', 'export', EXPERIMENT_ID, '--kind', 'pytorch', '--out', occupied, '--json'], home);
    expect(refused.code).toBe(2);
    expect(refused.json[0].error).toMatchObject({ code: 'invalid_request', field: 'out', message: expect.stringMatching(/not empty \(notes\.txt\)/) });
    expect(readdirSync(occupied)).toEqual(['notes.txt']);
    expect(readdirSync(home).filter((name) => name.includes('.tmp-'))).toEqual([]);

    // Without --out: a new folder in the exports folder each time, never over an earlier one.
    const first = cvb(['experiment', 'export', EXPERIMENT_ID, '--kind', 'pytorch', '--json'], home);
    const second = cvb(['experiment', 'export', EXPERIMENT_ID, '--kind', 'pytorch', '--json'], home);
    expect([first.json[0].path, second.json[0].path]).toEqual([join(home, 'exports', `${EXPERIMENT_ID}-pytorch-jobs`), join(home, 'exports', `${EXPERIMENT_ID}-pytorch-jobs-2`)]);

    const notJobs = mkdtempSync(join(tmpdir(), 'cvb-expjobs-empty-'));
    const notFolder = cvb(['experiment', 'import', notJobs, '--json'], home);
    expect(notFolder.code).toBe(2);
    expect(notFolder.json[0].error).toMatchObject({ field: 'source.path', message: expect.stringMatching(/not an experiment's jobs folder/) });
    expect(cvb(['experiment', 'import', join(notJobs, 'nowhere'), '--json'], home).json[0].error).toMatchObject({ field: 'folder' });

    const damaged = join(home, 'damaged');
    cpSync(first.json[0].path, damaged, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(damaged, 'experiment.json'), 'utf8'));
    writeFileSync(join(damaged, 'experiment.json'), JSON.stringify({ ...manifest, experiment: { ...manifest.experiment, seeds: 0 } }));
    const badManifest = cvb(['experiment', 'import', damaged, '--json'], home);
    expect(badManifest.json[0].error).toMatchObject({ field: 'source.path', message: expect.stringMatching(/experiment\.json: experiment\.seeds: .*\(received 0\)/) });
    writeFileSync(join(damaged, 'experiment.json'), JSON.stringify(manifest));
    rmSync(join(damaged, 'arms', '1', 'job.json'));
    expect(cvb(['experiment', 'import', damaged, '--json'], home).json[0].error.message).toMatch(/arms\/1\/job\.json is missing/);
    expect(new ExperimentStore(home).ids()).toEqual([EXPERIMENT_ID]);
    expect(runFolders(home)).toEqual([]);
  }, 300_000);
});

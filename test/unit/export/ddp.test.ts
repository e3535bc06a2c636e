import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema } from '../../../src-main/contract';
import { RunStore } from '../../../src-main/store/runs';
import { buildMain, runCli as cvb } from '../helpers/build';
import { pythonWithTorch, runPython } from './python';

let python: string;
beforeAll(() => {
  python = pythonWithTorch();
  buildMain();
});

describe('a PyTorch DDP job, round trip', () => {
  it('exports a run, trains 5 steps under torchrun with 2 gloo processes, and imports the run folder it wrote', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-ddp-'));
    const config = TrainConfigSchema.parse({
      model: 'resnet20', epochs: 3, batchSize: 16, learningRate: 0.05, optimizer: 'momentum', weightDecay: 5e-4, labelSmoothing: 0.1,
      validationFraction: 0.02, schedule: { type: 'cosine' }, augmentation: { randomCrop: { padding: 2 }, horizontalFlip: true },
      modelOptions: { widthMultiplier: 0.25 },
    });
    const source = new RunStore(home).create(config, { workbench: 'test' });

    const jobDir = join(home, 'job');
    const exported = cvb(['runs', 'export', source.id, '--kind', 'pytorch', '--out', jobDir, '--json'], home);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.json[0].files).toContain('train.py');
    const counted = JSON.parse(runPython(python, [join(jobDir, 'model.py')]));
    expect(counted.trainableParameters).toBe(exported.json[0].trainableParameters);

    // --redirects/--tee: Debian 12's torch 1.13 under Python 3.11 cannot parse their default of 0.
    runPython(python, ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', '--log_dir', join(home, 'torchrun-logs'),
      join(jobDir, 'train.py'), '--max-steps', '5', '--out', join(home, 'cluster-runs')]);
    const [runId] = readdirSync(join(home, 'cluster-runs'));
    const metrics = readFileSync(join(home, 'cluster-runs', runId, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(metrics.filter((m) => m.type === 'step').map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    expect(metrics.at(-1)).toMatchObject({ type: 'epoch', epoch: 1, step: 5, partial: true });

    const imported = cvb(['runs', 'import', join(home, 'cluster-runs'), '--json'], home);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.json[0]).toMatchObject({ id: runId, model: 'resnet20', status: 'completed', backend: 'pytorch-ddp ×2', steps: 5 });

    const listed = cvb(['runs', 'list', '--json'], home).json[0];
    expect(listed.map((run: { id: string }) => run.id).sort()).toEqual([runId, source.id].sort());
    const shown = cvb(['runs', 'show', runId, '--json'], home).json[0];
    expect(shown.metrics).toHaveLength(6);
    expect(shown.config).toMatchObject({ model: 'resnet20', maxSteps: 5, labelSmoothing: 0.1 });

    // The converted checkpoint serves the workbench's own evaluation.
    const evaluated = cvb(['eval', runId, '--checkpoint', 'last', '--json'], home);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.json[0].accuracy).toBeGreaterThanOrEqual(0);
    expect(evaluated.json[0].confusion).toHaveLength(10);

    // ... and prediction with Grad-CAM.
    const image = join(home, 'gray.png');
    await sharp(Buffer.alloc(28 * 28, 128), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(image);
    const predicted = cvb(['predict', runId, image, '--cam', join(home, 'cams'), '--json'], home);
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(predicted.json[0].top).toHaveLength(5);
    expect(readdirSync(join(home, 'cams'))).toEqual(['gray.cam.png']);

    // A second import of the same folder gets a new id rather than overwriting.
    const again = cvb(['runs', 'import', join(home, 'cluster-runs', runId), '--json'], home);
    expect(again.json[0].id).not.toBe(runId);

    // A copy cut short is refused, naming the file, and nothing is added.
    const broken = join(home, 'broken');
    cpSync(join(home, 'cluster-runs', runId), broken, { recursive: true });
    truncateSync(join(broken, 'checkpoints', 'last', 'weights.bin'), 100);
    const refused = cvb(['runs', 'import', broken, '--json'], home);
    expect(refused.code).toBe(2);
    expect(refused.json[0].error).toMatchObject({ code: 'invalid_request', field: 'source.path' });
    expect(refused.json[0].error.message).toMatch(/checkpoints\/last\/weights\.bin holds 100 bytes/);
    expect(cvb(['runs', 'list', '--json'], home).json[0]).toHaveLength(3);
  }, 600_000);

  it('refuses bad exports and imports with the field at fault', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-ddp-bad-'));
    const run = new RunStore(home).create(TrainConfigSchema.parse({ model: 'resnet20', epochs: 1, batchSize: 8, learningRate: 0.1 }), {});
    const unknown = cvb(['runs', 'export', 'no-such-run', '--kind', 'pytorch', '--json'], home);
    expect(unknown.code).toBe(2);
    expect(unknown.json[0].error).toMatchObject({ code: 'not_found', field: 'id' });
    const occupied = join(home, 'occupied');
    writeFileSync(occupied, 'not a job');
    const refused = cvb(['runs', 'export', run.id, '--kind', 'pytorch', '--out', occupied, '--json'], home);
    expect(refused.json[0].error).toMatchObject({ code: 'invalid_request', field: 'out' });
    expect(readFileSync(occupied, 'utf8')).toBe('not a job');
    // A job folder is exported again in place, until its jobs have written results into it.
    const jobDir = join(home, 'job');
    expect(cvb(['runs', 'export', run.id, '--kind', 'pytorch', '--out', jobDir, '--json'], home).code).toBe(0);
    expect(cvb(['runs', 'export', run.id, '--kind', 'pytorch', '--out', jobDir, '--json'], home).code).toBe(0);
    mkdirSync(join(jobDir, 'runs', 'r1'), { recursive: true });
    const results = cvb(['runs', 'export', run.id, '--kind', 'pytorch', '--out', jobDir, '--json'], home);
    expect(results.json[0].error).toMatchObject({ code: 'invalid_request', field: 'out', message: expect.stringContaining('holds the results of its jobs (runs/)') });
    expect(existsSync(join(jobDir, 'runs', 'r1'))).toBe(true);
    const kind = cvb(['runs', 'export', run.id, '--kind', 'torch', '--json'], home);
    expect(kind.json[0].error).toMatchObject({ field: 'kind', message: expect.stringMatching(/received "torch"/) });

    const empty = mkdtempSync(join(tmpdir(), 'cvb-ddp-empty-'));
    const notRun = cvb(['runs', 'import', empty, '--json'], home);
    expect(notRun.json[0].error).toMatchObject({ code: 'invalid_request', field: 'source.path', message: expect.stringMatching(/not a run folder/) });
    writeFileSync(join(empty, 'run.json'), JSON.stringify({ id: 'x', status: 'completed', config: { model: 'resnet20', epochs: 0 } }));
    const badConfig = cvb(['runs', 'import', empty, '--json'], home);
    expect(badConfig.json[0].error.message).toMatch(/config\.(epochs|batchSize)/);
    expect(cvb(['runs', 'list', '--json'], home).json[0]).toHaveLength(1);
  }, 120_000);
});

import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildMain, distMain } from '../helpers/build';

function cvb(args: string[], home: string) {
  const result = spawnSync(process.execPath, [join(distMain, 'cli.js'), ...args, '--home', home], { encoding: 'utf8', timeout: 180_000 });
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  return { code: result.status, lines, json: lines.map((line) => JSON.parse(line)), stderr: result.stderr };
}

beforeAll(() => buildMain());

describe('cvb train / runs', () => {
  it('trains with --max-steps and the run is listed and shown', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const train = cvb(['train', '--model', 'resnet20', '--max-steps', '6', '--batch-size', '16', '--json'], home);
    expect(train.code).toBe(0);
    expect(train.json[0]).toMatchObject({ event: 'start', model: 'resnet20', dataset: 'fashion-mnist-subset' });
    expect(train.json.filter((line) => line.event === 'step')).toHaveLength(6);
    const end = train.json[train.json.length - 1];
    expect(end).toMatchObject({ event: 'end', status: 'completed', steps: 6 });
    expect(end.final.valAccuracy).toBeGreaterThanOrEqual(0);

    const list = cvb(['runs', 'list', '--json'], home);
    expect(list.code).toBe(0);
    expect(list.json[0]).toHaveLength(1);
    expect(list.json[0][0]).toMatchObject({ id: end.runId, model: 'resnet20', status: 'completed' });
    expect(list.json[0][0].final.trainLoss).toBeGreaterThan(0);

    const show = cvb(['runs', 'show', end.runId, '--json'], home);
    expect(show.json[0]).toMatchObject({ id: end.runId, config: { model: 'resnet20', batchSize: 16, maxSteps: 6 } });
    expect(show.json[0].metrics.length).toBe(7);
  });

  it('trains with --threads and --checkpoint-minutes, and the run record says how many threads it used', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const train = cvb(['train', '--model', 'resnet20', '--max-steps', '3', '--batch-size', '8', '--backend', 'wasm', '--threads', '2', '--checkpoint-minutes', '0.5', '--json'], home);
    expect(train.code, train.stderr).toBe(0);
    const end = train.json[train.json.length - 1];
    const show = cvb(['runs', 'show', end.runId, '--json'], home);
    expect(show.json[0]).toMatchObject({ config: { threads: 2, checkpointMinutes: 0.5 }, backend: 'wasm', threads: 2 });
  }, 300_000);

  it('trains with --data-parallel: the record says so, and runs show names the split', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const train = cvb(['train', '--model', 'resnet20', '--max-steps', '3', '--batch-size', '8', '--backend', 'wasm', '--threads', '2', '--data-parallel', '--json'], home);
    expect(train.code, train.stderr).toBe(0);
    const end = train.json[train.json.length - 1];
    expect(end).toMatchObject({ status: 'completed', steps: 3 });
    const show = cvb(['runs', 'show', end.runId, '--json'], home);
    expect(show.json[0]).toMatchObject({ config: { threads: 2, dataParallel: true }, backend: 'wasm', threads: 2 });
    const text = spawnSync(process.execPath, [join(distMain, 'cli.js'), 'runs', 'show', end.runId, '--home', home], { encoding: 'utf8' });
    expect(text.stdout).toContain('backend wasm, 2 threads, each batch split across them, 3 steps');
  }, 300_000);

  it('bench --threads 1,2 --data-parallel measures the split loop beside both thread counts, in the same row shape', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    // Started as `npm run bench` starts it: a script outside dist/main (scripts/cvb.mjs) imports the CLI
    // bundle, so the worker entries must be found beside the bundle, not beside process.argv[1].
    const launcher = join(home, 'launcher.mjs');
    writeFileSync(launcher, `await import(${JSON.stringify(pathToFileURL(join(distMain, 'cli.js')).href)});\n`);
    const args = ['bench', '--quick', '--only', 'training', '--models', 'resnet20', '--backends', 'wasm', '--threads', '1,2', '--data-parallel', '--json', '--home', home];
    const result = spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8', timeout: 600_000 });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const rows = (JSON.parse(result.stdout.trim().split('\n').pop()!) as { training: Record<string, unknown>[] }).training;
    expect(rows.map((row) => [row.threads, row.dataParallel])).toEqual([[1, false], [2, false], [2, true]]);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['model', 'backend', 'threads', 'batchSize', 'bareImagesPerSec', 'workbenchImagesPerSec', 'ratio']));
      expect(row.workbenchImagesPerSec).toBeGreaterThan(0);
    }
  }, 600_000);

  it('trains with --max-minutes: the end line and the run record say what the budget fitted', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const train = cvb(['train', '--model', 'resnet20', '--max-steps', '6', '--batch-size', '16', '--max-minutes', '30', '--json'], home);
    expect(train.code, train.stderr).toBe(0);
    const end = train.json[train.json.length - 1];
    // Six steps end before ten are timed: the fit is made at the last step, from the five after the first.
    expect(end).toMatchObject({ event: 'end', status: 'completed', steps: 6, budget: { maxMinutes: 30, calibrationSteps: 5, plannedSteps: 6, fittedSteps: 6, scheduleScale: 1 } });
    expect(end.budget.secondsPerStep).toBeGreaterThan(0);
    const show = cvb(['runs', 'show', end.runId, '--json'], home);
    expect(show.json[0]).toMatchObject({ config: { maxMinutes: 30 }, budget: { fittedSteps: 6 } });
    const text = spawnSync(process.execPath, [join(distMain, 'cli.js'), 'train', '--model', 'resnet20', '--max-steps', '2', '--batch-size', '16', '--max-minutes', '30', '--home', home], {
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/time budget 30 min: the planned 2 steps fit \([\d.]+ s a step over 1 timed step\)/);
    const shown = spawnSync(process.execPath, [join(distMain, 'cli.js'), 'runs', 'show', end.runId, '--home', home], { encoding: 'utf8', timeout: 60_000 });
    expect(shown.stdout).toMatch(/^backend wasm, 1 thread, 6 steps/m);
    expect(shown.stdout).toMatch(/^time budget 30 min: the planned 6 steps fit \([\d.]+ s a step over 5 timed steps\)$/m);
  }, 300_000);

  it('trains the whole-run preset without --model, and says where its dataset comes from when it is missing', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const missing = cvb(['train', '--preset', 'fashion-mnist-15min', '--json'], home);
    expect(missing.code).toBe(2);
    expect(missing.json[0].error).toMatchObject({ field: 'data' });
    expect(missing.json[0].error.message).toMatch(/unknown dataset "fashion-mnist".*cvb data import \/usr\/share\/datasets\/fashion-mnist/);
    // On the bundled subset instead (--data), for two steps: the preset's model and switches.
    const train = cvb(['train', '--preset', 'fashion-mnist-15min', '--data', 'fashion-mnist-subset', '--max-steps', '2', '--json'], home);
    expect(train.code, train.stderr).toBe(0);
    const end = train.json[train.json.length - 1];
    const show = cvb(['runs', 'show', end.runId, '--json'], home);
    expect(show.json[0].config).toMatchObject({
      model: 'vgg11_bn',
      modelOptions: { smallInput: true, widthMultiplier: 0.125 },
      dataset: 'fashion-mnist-subset',
      maxMinutes: 15,
      preset: { name: 'fashion-mnist-15min', changed: [] },
    });
  }, 300_000);

  it.each([
    [['--model', 'resnet20', '--max-minutes', '0'], 'max-minutes', /^--max-minutes: must be greater than 0/],
    [['--model', 'resnet20', '--max-minutes', 'soon'], 'max-minutes', /received "soon"/],
    [['--model', 'resnet20', '--batch-size', '0'], 'batch-size', /--batch-size: too small/],
    [['--model', 'resnet20', '--lr', 'abc'], 'lr', /received "abc"/],
    [['--model', 'resnet20', '--lr', '-1'], 'lr', /greater than 0/],
    [['--model', 'resnet20', '--epochs', '100000'], 'epochs', /at most 1000|<=1000/],
    [['--model', 'resnet9000'], 'model', /unknown model "resnet9000"/],
    [['--model', 'resnet20', '--data', 'nope'], 'data', /unknown dataset "nope"/],
    [['--model', 'resnet20', '--optimizer', 'lbfgs'], 'optimizer', /received "lbfgs"/],
    [['--model', 'resnet20', '--optimizer', 'sgd', '--nesterov'], 'nesterov', /^--nesterov: needs a momentum above 0/],
    [['--model', 'resnet20', '--optimizer', 'adam', '--nesterov'], 'nesterov', /^--nesterov: only sgd and momentum use Nesterov momentum/],
    [['--model', 'resnet20', '--colour', 'red'], 'colour', /colour/],
    [['--model', 'resnet20', '--threads', '0'], 'threads', /^--threads: too small/],
    [['--model', 'resnet20', '--threads', '1.5'], 'threads', /^--threads: must be a whole number/],
    [['--model', 'resnet20', '--threads', 'all'], 'threads', /received "all"/],
    [['--model', 'resnet20', '--checkpoint-minutes', '-1'], 'checkpoint-minutes', /^--checkpoint-minutes: too small/],
    [[], 'model', /--model/],
  ])('train %j exits 2 naming %s and creates nothing', (args, field, message) => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const result = cvb(['train', ...args, '--json'], home);
    expect(result.code).toBe(2);
    expect(result.json[0].error.field).toBe(field);
    expect(result.json[0].error.code).toBe('invalid_request');
    expect(result.json[0].error.message).toMatch(message);
    expect(!existsSync(join(home, 'runs')) || readdirSync(join(home, 'runs')).length === 0).toBe(true);
  });

  it('refuses unknown commands and bad run ids with exit 2', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    expect(cvb(['frobnicate', '--json'], home)).toMatchObject({ code: 2, json: [{ error: { field: 'command' } }] });
    expect(cvb(['runs', 'show', '../../etc', '--json'], home)).toMatchObject({ code: 2, json: [{ error: { field: 'id' } }] });
    expect(cvb(['runs', 'show', 'missing-run', '--json'], home)).toMatchObject({ code: 2, json: [{ error: { code: 'not_found' } }] });
  });

  // Every family builds and takes a training step in test/unit/zoo (cpu backend, tiny inputs);
  // here, through the command line and the worker, the ImageNet families on the bundled 28×28
  // images with the small-input adaptation and its switches.
  it.each(['alexnet', 'vgg11_bn', 'resnet18'])('trains %s for two steps with --option smallInput=true', (model) => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const train = cvb(['train', '--model', model, '--option', 'smallInput=true', '--option', 'widthMultiplier=0.25', '--max-steps', '2', '--batch-size', '8', '--validation-fraction', '0', '--json'], home);
    expect(train.code).toBe(0);
    expect(train.json.at(-1)).toMatchObject({ event: 'end', status: 'completed', steps: 2 });
    const shown = cvb(['runs', 'show', train.json.at(-1).runId, '--json'], home);
    expect(shown.json[0].config.modelOptions).toEqual({ smallInput: true, widthMultiplier: 0.25 });
  });

  it('serve names the port when it is taken, and exits 2', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = cvb(['serve', '--port', String(port), '--json'], mkdtempSync(join(tmpdir(), 'cvb-cli-')));
      expect(result.code).toBe(2);
      expect(result.json[0].error).toMatchObject({ field: 'port', message: expect.stringContaining(`127.0.0.1:${port} is already in use`) });
    } finally {
      blocker.close();
    }
  });

  it('serve refuses a --data-root that does not exist, and help documents the option', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const result = cvb(['serve', '--port', '0', '--data-root', join(home, 'missing'), '--json'], home);
    expect(result.code).toBe(2);
    expect(result.json[0].error).toMatchObject({ field: 'data-root', message: expect.stringMatching(/^--data-root: .*missing: cannot be used as a data root/) });
    const help = spawnSync(process.execPath, [join(distMain, 'cli.js'), 'help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/serve +\[--port N\] \[--host H\] \[--data-root DIR \.\.\.\]/);
  });

  it('lists models with their parameter counts', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const models = cvb(['models', '--json'], home);
    expect(models.code).toBe(0);
    const resnet20 = models.json[0].find((m: { name: string }) => m.name === 'resnet20');
    expect(resnet20).toMatchObject({ family: expect.any(String), input: [32, 32, 3], classes: 10 });
    // The ResNet paper's 0.27M: trainable weights, batch-norm scale and shift included, running statistics not.
    expect(resnet20.params).toBe(269_722);
  });

  it('bench --only measures just the sections named, and names an unknown one', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const bench = cvb(['bench', '--quick', '--only', 'runList', '--json'], home);
    expect(bench.code).toBe(0);
    const report = bench.json[0];
    expect(report.sections).toEqual(['runList']);
    expect(report.runList.runs).toBe(1000);
    expect(report.runList.medianMs).toBeGreaterThan(0);
    expect(report).toMatchObject({ kernels: [], training: [], pipeline: [], inference: [], peers: null });

    const wrong = cvb(['bench', '--only', 'runList,kernals', '--json'], home);
    expect(wrong.code).toBe(2);
    expect(wrong.json[0].error).toMatchObject({ field: 'only', message: expect.stringMatching(/unknown section "kernals".*sections: kernels, training/) });
  });

  it.each(['0', '1,1', 'two', '1.5', ''])('bench --threads %j exits 2 naming threads', (value) => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-'));
    const bench = cvb(['bench', '--only', 'runList', '--threads', value, '--json'], home);
    expect(bench.code).toBe(2);
    expect(bench.json[0].error).toMatchObject({ field: 'threads', message: expect.stringMatching(/^--threads: whole numbers of at least 1/) });
  });
});

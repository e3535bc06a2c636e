// The inference worker through Core's service: kept warm, restarted when it dies, paths checked.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceService, type InferenceService } from '../../../src-main/core/inference';
import { buildMain, distMain } from '../helpers/build';
import { DATASET_ROOTS, datasetPng, fashionMnist, makeRun, type FixtureRun } from './fixtures';

let run: FixtureRun;
let png: Buffer;
const services: InferenceService[] = [];

function service(): InferenceService {
  const created = createInferenceService({ home: run.home, workerEntry: join(distMain, 'infer-worker.js'), datasetRoots: DATASET_ROOTS });
  services.push(created);
  return created;
}

beforeAll(async () => {
  buildMain();
  run = await makeRun({ withPreprocessing: true });
  png = await datasetPng(await fashionMnist(), 0);
});
afterAll(async () => {
  await Promise.all(services.map((s) => s.close()));
  if (run) rmSync(run.home, { recursive: true, force: true });
});

describe('inference worker', () => {
  it('stays warm: the second prediction does not load the model again', async () => {
    const inference = service();
    const request = { runId: run.runId, checkpoint: 'best' as const, images: [{ name: 'a.png', data: png.toString('base64') }], topK: 3 };
    const first = await inference.handlers['infer.predict'](request);
    const second = await inference.handlers['infer.predict'](request);
    expect(first.modelLoadMs).toBeGreaterThan(0);
    expect(second.modelLoadMs).toBeNull();
    expect(second.predictions[0].top).toEqual(first.predictions[0].top);
    expect(await inference.workerStats()).toMatchObject({ loads: 1 });
    expect(inference.workerStarts).toBe(1);
    // Concurrent requests queue and all answer.
    const answers = await Promise.all([1, 2, 3].map(() => inference.handlers['infer.predict'](request)));
    expect(answers.map((a) => a.predictions[0].top![0].index)).toEqual([1, 2, 3].map(() => first.predictions[0].top![0].index));
    expect((await inference.workerStats()).loads).toBe(1);
  });

  it('starts the worker again after it died', async () => {
    const inference = service();
    const request = { runId: run.runId, checkpoint: 'best' as const, images: [{ name: 'a.png', data: png.toString('base64') }], topK: 1 };
    await inference.handlers['infer.predict'](request);
    // Find the worker by its parent (this process) and kill it the way an out-of-memory would.
    const children = spawnSync('pgrep', ['-P', String(process.pid), '-f', 'infer-worker.js'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) process.kill(child, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await inference.handlers['infer.predict'](request);
    expect(again.predictions[0].top).toHaveLength(1);
    expect(inference.workerStarts).toBe(2);
  });

  it('reads files by path, each problem its own answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvb-infer-files-'));
    writeFileSync(join(dir, 'shirt.png'), png);
    writeFileSync(join(dir, 'empty.png'), '');
    mkdirSync(join(dir, 'folder.png'));
    const inference = service();
    const response = await inference.handlers['infer.predict']({
      runId: run.runId,
      checkpoint: 'best',
      topK: 2,
      images: ['shirt.png', 'empty.png', 'folder.png', 'missing.png'].map((name) => ({ name, path: join(dir, name) })),
    });
    expect(response.predictions.map((p) => p.error ?? 'ok')).toEqual(['ok', 'empty file (0 bytes)', 'a folder, not an image file', 'file not found']);
    await expect(inference.handlers['infer.predict']({ runId: run.runId, checkpoint: 'best', topK: 2, images: [{ name: 'rel', path: 'shirt.png' }] })).rejects.toMatchObject({
      error: { code: 'invalid_request', field: 'images.0.path', message: /absolute/ },
    });
    expect(readdirSync(dir)).toHaveLength(3);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the runs that have a checkpoint', async () => {
    const inference = service();
    const runs = await inference.handlers['infer.runs']({});
    expect(runs).toEqual([expect.objectContaining({ runId: run.runId, model: 'resnet20', checkpoints: ['best', 'last'] })]);
  });
});

describe('cvb predict', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [join(distMain, 'cli.js'), ...args, '--home', run.home], { encoding: 'utf8', timeout: 120_000 });
  // Runs once the lead adds `predict: predictCommand` to the commands of cli/main.ts.
  const wired = () => !/unknown command/.test(cli(['predict', '--json']).stdout);

  it('prints one line per image, an error line for a bad one, and a Grad-CAM PNG per image', async (context) => {
    if (!wired()) context.skip();
    const dir = mkdtempSync(join(tmpdir(), 'cvb-predict-'));
    writeFileSync(join(dir, 'shirt.png'), png);
    writeFileSync(join(dir, 'notes.png'), 'not an image');
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#c33' } }).jpeg().toBuffer();
    writeFileSync(join(dir, 'photo.jpg'), photo);
    const result = cli(['predict', run.runId, join(dir, 'shirt.png'), join(dir, 'notes.png'), join(dir, 'photo.jpg'), '--top', '2', '--cam', join(dir, 'cams'), '--json']);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(result.status).toBe(1);
    expect(lines[0]).toMatchObject({ path: join(dir, 'shirt.png'), top: [{ class: expect.any(String), probability: expect.any(Number) }, expect.anything()] });
    expect(lines[1]).toEqual({ path: join(dir, 'notes.png'), error: expect.stringMatching(/not an image/) });
    expect(lines[2].notes.join(' ')).toMatch(/grayscale/);
    expect(readdirSync(join(dir, 'cams')).sort()).toEqual(['photo.cam.png', 'shirt.cam.png']);
    expect(cli(['predict', run.runId, join(dir, 'shirt.png'), '--top', '99', '--json']).status).toBe(2);
    expect(JSON.parse(cli(['predict', 'no-such-run', join(dir, 'shirt.png'), '--json']).stdout).error).toMatchObject({ code: 'not_found', field: 'runId' });
    rmSync(dir, { recursive: true, force: true });
  });
});

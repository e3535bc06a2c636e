// The browser-mode path policy, end to end: a real Core in browser mode behind a real `cvb serve`
// server, driven by the renderer's own WebSocket client. Every method that takes a host path is
// tried with paths inside the data root (accepted), outside it, through `..`, and through a symlink
// that leaves it (refused, with the field and without the folder's entries).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HOST_PATH_METHODS, methods, type MethodName, type Result } from '../../../src-main/contract';
import { hostPathsUnder, resolveDataRoots } from '../../../src-main/core/host-paths';
import { createWorkbench, type Workbench } from '../../../src-main/core/workbench';
import { buildMain, distMain, repoRoot } from '../helpers/build';
import { datasetPng, fashionMnist, makeRun, type FixtureRun } from '../infer/fixtures';
import { connectWebSocket, type WebSocketConnection } from './transports';

/** Names a folder outside the data root holds; no answer may ever carry them. */
const PRIVATE_ENTRIES = ['ODBCDataSources', 'PackageKit'];

let base: string;
let root: string;
let outside: string;
let run: FixtureRun;
let workbench: Workbench;
let connection: WebSocketConnection;
let imageBytes: string;

beforeAll(async () => {
  buildMain();
  base = mkdtempSync(join(tmpdir(), 'cvb-host-paths-'));
  root = join(base, 'shared');
  outside = join(base, 'private');
  for (const name of PRIVATE_ENTRIES) mkdirSync(join(outside, name), { recursive: true });
  const png = await datasetPng(await fashionMnist(), 0);
  imageBytes = png.toString('base64');
  writeFileSync(join(outside, 'shirt.png'), png);
  mkdirSync(root);
  writeFileSync(join(root, 'shirt.png'), png);
  for (const [label, shade] of [['dark', 20], ['light', 230]] as const) {
    mkdirSync(join(root, 'pets', label), { recursive: true });
    for (let i = 0; i < 3; i++) {
      const pixels = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: shade, g: shade - i, b: shade } } }).png().toBuffer();
      writeFileSync(join(root, 'pets', label, `${i}.png`), pixels);
    }
  }
  symlinkSync(outside, join(root, 'escape'));

  run = await makeRun({ withPreprocessing: true });
  workbench = await createWorkbench({
    home: run.home,
    mode: 'serve',
    hostPaths: hostPathsUnder(await resolveDataRoots([root])),
    resourcesDir: join(repoRoot, 'resources'),
    workerEntry: join(distMain, 'train-worker.js'),
  });
  const exported = await workbench.request('runs.export', { id: run.runId, kind: 'archive' });
  if (!exported.ok) throw new Error(exported.error.message);
  copyFileSync((exported.value as { path: string }).path, join(root, 'run.cvbrun.tar.gz'));
  connection = await connectWebSocket(workbench);
}, 120_000);

afterAll(async () => {
  await connection?.close();
  await workbench?.close();
  if (run) rmSync(run.home, { recursive: true, force: true });
  if (base) rmSync(base, { recursive: true, force: true });
});

interface PathCase {
  method: MethodName;
  field: string;
  params(path: string): Record<string, unknown>;
  /** A path inside the data root the method accepts. */
  inside(): string;
  /** The same path's file outside the root, for the `..` and symlink attempts. */
  name: string;
  /** The method's own answer to the accepted path, when it is a refusal of its own (past the policy). */
  ownAnswer?: RegExp;
}

const CASES: PathCase[] = [
  { method: 'datasets.import', field: 'source.path', params: (path) => ({ source: { kind: 'path', path }, size: 8 }), inside: () => join(root, 'pets'), name: '' },
  {
    method: 'datasets.import',
    field: 'source.localPath',
    params: (localPath) => ({ source: { kind: 'catalog', name: 'mnist', localPath } }),
    inside: () => join(root, 'pets'),
    name: '',
  },
  {
    method: 'infer.predict',
    field: 'images.1.path',
    params: (path) => ({ runId: run.runId, images: [{ name: 'sent', data: imageBytes }, { name: 'named', path }] }),
    inside: () => join(root, 'shirt.png'),
    name: 'shirt.png',
  },
  {
    method: 'infer.featureMaps',
    field: 'image.path',
    params: (path) => ({ runId: run.runId, image: { name: 'named', path }, layer: 'conv1_conv', maxChannels: 2 }),
    inside: () => join(root, 'shirt.png'),
    name: 'shirt.png',
  },
  {
    method: 'infer.seWeights',
    field: 'image.path',
    params: (path) => ({ runId: run.runId, image: { name: 'named', path }, block: 'conv2_block1_se' }),
    inside: () => join(root, 'shirt.png'),
    name: 'shirt.png',
  },
  { method: 'runs.import', field: 'source.path', params: (path) => ({ source: { path } }), inside: () => join(root, 'run.cvbrun.tar.gz'), name: 'run.cvbrun.tar.gz' },
  { method: 'runs.exportJob', field: 'out', params: (out) => ({ id: run.runId, out }), inside: () => join(root, 'job'), name: 'job' },
  {
    method: 'experiments.exportJobs',
    field: 'out',
    params: (out) => ({ id: 'exp-20260101-000000-abcd', out }),
    inside: () => join(root, 'jobs'),
    name: 'jobs',
    ownAnswer: /experiment/i,
  },
  {
    method: 'experiments.import',
    field: 'source.path',
    params: (path) => ({ source: { path } }),
    inside: () => join(root, 'pets'),
    name: '',
    ownAnswer: /not an experiment's jobs folder/,
  },
];

function call(method: MethodName, params: Record<string, unknown>): Promise<Result<unknown>> {
  return connection.client.call(method, params as never) as Promise<Result<unknown>>;
}

function expectRefused(result: Result<unknown>, field: string): string {
  expect(result.ok).toBe(false);
  if (result.ok) return '';
  expect(result.error).toMatchObject({ code: 'invalid_request', field });
  expect(result.error.message).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}: .*data folders`));
  for (const entry of PRIVATE_ENTRIES) expect(result.error.message).not.toContain(entry);
  return result.error.message;
}

describe('browser mode: host paths only inside --data-root', () => {
  for (const pathCase of CASES) {
    describe(`${pathCase.method} ${pathCase.field}`, () => {
      it('refuses a path outside the data roots, naming the field and the roots', async () => {
        const target = pathCase.name ? join(outside, pathCase.name) : outside;
        const message = expectRefused(await call(pathCase.method, pathCase.params(target)), pathCase.field);
        expect(message).toContain(root);
      });

      it('refuses a path that climbs out with ..', async () => {
        const climbing = `${root}/../private${pathCase.name ? `/${pathCase.name}` : ''}`;
        expectRefused(await call(pathCase.method, pathCase.params(climbing)), pathCase.field);
      });

      it('refuses a symlink inside the root that leads outside it', async () => {
        const through = join(root, 'escape', pathCase.name);
        expectRefused(await call(pathCase.method, pathCase.params(through)), pathCase.field);
      });

      it('refuses a relative path', async () => {
        expectRefused(await call(pathCase.method, pathCase.params(pathCase.name || 'pets')), pathCase.field);
      });

      it('accepts a path inside the data root', async () => {
        const result = await call(pathCase.method, pathCase.params(pathCase.inside()));
        // Past the policy: the method's own answer (a dataset, a prediction, or its own complaint).
        if (pathCase.ownAnswer) {
          expect(result).toMatchObject({ ok: false, error: { message: pathCase.ownAnswer } });
          expect(result.ok ? '' : result.error.message).not.toMatch(/data folders/);
        } else if (!result.ok) expect(result.error.field).not.toBe(pathCase.field);
      });
    });
  }

  it('runs the methods themselves on accepted paths', async () => {
    const imported = await call('datasets.import', { source: { kind: 'path', path: join(root, 'pets') }, size: 8, name: 'pets again' });
    expect(imported).toMatchObject({ ok: true, value: { classes: ['dark', 'light'] } });
    const predicted = await call('infer.predict', { runId: run.runId, images: [{ name: 'named', path: join(root, 'shirt.png') }] });
    expect(predicted).toMatchObject({ ok: true, value: { predictions: [{ name: 'named' }] } });
    expect((predicted as { value: { predictions: { error?: string }[] } }).value.predictions[0].error).toBeUndefined();
    const runImport = await call('runs.import', { source: { path: join(root, 'run.cvbrun.tar.gz') } });
    expect(runImport).toMatchObject({ ok: true, value: { status: 'completed' } });
  });

  it('never lists a folder in the error for a folder that is not a dataset', async () => {
    for (const name of PRIVATE_ENTRIES) mkdirSync(join(root, 'not-a-dataset', name), { recursive: true });
    const result = await call('datasets.import', { source: { kind: 'path', path: join(root, 'not-a-dataset') } });
    expect(result).toMatchObject({ ok: false, error: { field: 'source' } });
    const message = result.ok ? '' : result.error.message;
    expect(message).toMatch(/expected one folder of images per class/i);
    for (const entry of PRIVATE_ENTRIES) expect(message).not.toContain(entry);
  });

});

describe('browser mode without --data-root', () => {
  it('refuses every path and says what to send instead', async () => {
    const closed = await createWorkbench({
      home: mkdtempSync(join(tmpdir(), 'cvb-no-roots-')),
      mode: 'serve',
      resourcesDir: join(repoRoot, 'resources'),
      workerEntry: join(distMain, 'train-worker.js'),
    });
    const socket = await connectWebSocket(closed);
    try {
      const result = await socket.client.call('runs.import', { source: { path: join(root, 'run.cvbrun.tar.gz') } });
      expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'source.path', message: /without --data-root.*source\.data/ } });
      const predict = await socket.client.call('infer.predict', { runId: run.runId, images: [{ name: 'x', path: join(root, 'shirt.png') }] });
      expect(predict).toMatchObject({ ok: false, error: { field: 'images.0.path', message: /without --data-root.*"data"/ } });
    } finally {
      await socket.close();
      await closed.close();
    }
  });
});

describe('the path policy covers every path field of the contract', () => {
  it('lists exactly the methods whose request has a HostPathSchema field', () => {
    const withPaths = (Object.keys(methods) as MethodName[]).filter((method) =>
      JSON.stringify(z.toJSONSchema(methods[method].request, { io: 'input', unrepresentable: 'any' })).includes('"hostPath":true'),
    );
    expect(withPaths.length).toBeGreaterThan(0);
    expect(Object.keys(HOST_PATH_METHODS).sort()).toEqual(withPaths.sort());
  });
});

describe('data roots', () => {
  it('refuses a --data-root that is missing or a file', async () => {
    await expect(resolveDataRoots([join(base, 'missing')])).rejects.toThrow(/missing: cannot be used as a data root \(ENOENT\)/);
    await expect(resolveDataRoots([join(root, 'shirt.png')])).rejects.toThrow(/must be a folder/);
  });
});

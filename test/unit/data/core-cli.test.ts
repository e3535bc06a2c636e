import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { methods, type EventMessage, type MethodName, type ParsedRequestOf, type ResponseOf } from '../../../src-main/contract';
import { dataCommand } from '../../../src-main/cli/data';
import { createDatasetService } from '../../../src-main/core/datasets';
import { WorkbenchError } from '../../../src-main/core/errors';
import { noise, write } from './fixtures';

const work = mkdtempSync(join(tmpdir(), 'cvb-core-'));
const resources = join(__dirname, '..', '..', '..', 'resources');
const folder = join(work, 'pets');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  for (const cls of ['cat', 'dog', 'fox']) for (let i = 0; i < 12; i++) write(join(folder, cls, `${i}.png`), await noise(20, 20, cls.length * 100 + i).png().toBuffer());
  write(join(folder, 'dog', 'bad.jpg'), 'oops');
});

function service(home: string, mirrors?: Record<string, string[]>, onEvent?: (message: EventMessage) => void) {
  const events: EventMessage[] = [];
  const datasets = createDatasetService(
    home,
    resources,
    (m) => {
      events.push(m);
      onEvent?.(m);
    },
    { catalogMirrors: mirrors, progressIntervalMs: 0 },
  );
  /** Calls a handler the way the host does: the request parsed by its contract schema first. */
  const call = async <M extends keyof typeof datasets.handlers & MethodName>(method: M, params: unknown): Promise<ResponseOf<M>> => {
    const parsed = methods[method].request.parse(params) as ParsedRequestOf<M>;
    const value = await (datasets.handlers[method] as (p: ParsedRequestOf<M>) => unknown)(parsed);
    return methods[method].response.parse(value) as ResponseOf<M>;
  };
  return { datasets, events, call };
}

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    return (error as WorkbenchError).error;
  }
  throw new Error('expected an error');
};

describe("Core's dataset methods", () => {
  const home = join(work, 'home');
  const { events, call } = service(home);

  it('imports with progress events, then lists, details, samples and previews the dataset', async () => {
    const result = await call('datasets.import', { source: { kind: 'path', path: folder }, importId: 'ui-1', size: 16, validationFraction: 0.25 });
    // The default test fraction (0.1) is held out first, then the validation fraction of what is left.
    expect(result).toMatchObject({ id: 'pets', classes: ['cat', 'dog', 'fox'], counts: { train: { cat: 8 }, val: { cat: 3 }, test: { cat: 1 } }, skipped: [{ path: 'dog/bad.jpg' }] });
    const progress = events.filter((e) => e.event === 'dataset.import.progress');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((e) => e.data.importId === 'ui-1')).toBe(true);
    expect(events.at(-1)).toEqual({ event: 'dataset.import.ended', data: { importId: 'ui-1', status: 'completed', datasetId: 'pets', error: null } });

    const list = await call('datasets.list', {});
    expect(list.map((d) => [d.id, d.bundled])).toEqual([
      ['fashion-mnist-subset', true],
      ['pets', false],
    ]);
    const detail = await call('datasets.get', { id: 'pets' });
    expect(detail).toMatchObject({ trainCount: 24, valCount: 9, testCount: 3, classCounts: { train: [8, 8, 8], val: [3, 3, 3], test: [1, 1, 1] }, resize: 'squash' });
    expect(detail.report?.skipped).toEqual([{ path: 'dog/bad.jpg', reason: expect.stringMatching(/^not an image/) }]);
    const samples = await call('datasets.samples', { id: 'pets', perClass: 2 });
    expect(samples.map((s) => s.label)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Buffer.from(samples[0].png, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const preview = await call('datasets.previewAugmentation', { id: 'pets', augment: { horizontalFlip: true, randomCrop: { padding: 2 } }, count: 3 });
    expect(preview).toHaveLength(4);
    const bundled = await call('datasets.samples', { id: 'fashion-mnist-subset', perClass: 1, split: 'test' });
    expect(bundled).toHaveLength(10);
  });

  it('answers with contract errors: unknown ids, bundled deletes, bad sources', async () => {
    expect(await errorOf(call('datasets.get', { id: 'nope' }))).toMatchObject({ code: 'not_found', field: 'id' });
    expect(await errorOf(call('datasets.delete', { id: 'fashion-mnist-subset' }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/bundled/) });
    expect(await errorOf(call('datasets.import', { source: { kind: 'path', path: join(work, 'missing') } }))).toMatchObject({
      code: 'invalid_request',
      field: 'source',
      message: expect.stringMatching(/no such file or folder/),
    });
    expect(() => methods['datasets.import'].request.parse({ source: { kind: 'path', path: folder }, size: 4 })).toThrow();
    expect((await call('datasets.delete', { id: 'pets' })).id).toBe('pets');
    expect((await call('datasets.list', {})).map((d) => d.id)).toEqual(['fashion-mnist-subset']);
  });

  it('cancels an import on request and keeps nothing', async () => {
    // Progress events are emitted synchronously here (interval 0), so cancelling from the first
    // "decoding" event cancels an import that is certainly still running.
    let cancelled: Promise<unknown> | null = null;
    const { events: seen, call: callCancel, datasets } = service(join(work, 'cancel-home'), undefined, (message) => {
      if (!cancelled && message.event === 'dataset.import.progress' && message.data.phase === 'decoding') {
        cancelled = Promise.resolve(datasets.handlers['datasets.cancelImport']({ importId: 'c1' }));
      }
    });
    const pending = callCancel('datasets.import', { source: { kind: 'path', path: folder }, importId: 'c1', size: 16 });
    expect(await errorOf(pending)).toMatchObject({ code: 'conflict', message: 'the import was cancelled; nothing was kept' });
    expect(await cancelled).toEqual({ cancelled: true });
    expect(seen.at(-1)).toMatchObject({ event: 'dataset.import.ended', data: { status: 'cancelled' } });
    expect(readdirSync(join(work, 'cancel-home', 'datasets'))).toEqual([]);
    expect(await datasets.handlers['datasets.cancelImport']({ importId: 'c1' })).toEqual({ cancelled: false });
  });

});

describe('the catalog in Core', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end(Buffer.alloc(1000, 1)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a download whose checksum does not match, and keeps nothing', async () => {
    const home = join(work, 'catalog-home');
    const { call, events } = service(home, { mnist: [base] });
    expect(await errorOf(call('datasets.import', { source: { kind: 'catalog', name: 'mnist' } }))).toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/checksum mismatch/),
    });
    expect(events.some((e) => e.event === 'dataset.import.progress' && e.data.phase === 'downloading')).toBe(true);
    expect(existsSync(join(home, 'datasets')) ? readdirSync(join(home, 'datasets')) : []).toEqual([]);
    expect(readdirSync(join(home, 'downloads', 'mnist'))).toEqual([]);
    const catalog = await call('datasets.catalog', {});
    expect(catalog.map((e) => e.name)).toEqual(['mnist', 'fashion-mnist', 'cifar-10', 'cifar-100']);
    expect(catalog[0]).toMatchObject({ downloaded: false, imported: [], classCount: 10 });
  });

  it('imports a local copy of a catalog dataset', async () => {
    const { call } = service(join(work, 'local-home'));
    const result = await call('datasets.import', { source: { kind: 'catalog', name: 'fashion-mnist', localPath: '/usr/share/datasets/fashion-mnist' } });
    expect(result).toMatchObject({ id: 'fashion-mnist', name: 'Fashion-MNIST', input: [28, 28, 1] });
    expect((await call('datasets.catalog', {}))[1].imported).toEqual(['fashion-mnist']);
  });
});

describe('cvb data', () => {
  async function run(home: string, ...args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { createWorkbench } = await import('../../../src-main/core/workbench');
      const parsed = dataCommand.parse(args);
      const code = await parsed.run({
        json: parsed.json,
        home,
        open: (mode) => createWorkbench({ home, mode, resourcesDir: resources, workerEntry: join(work, 'unused.js') }),
      });
      return { code, out };
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
    }
  }

  it('imports a folder and prints the result as JSON, then lists, shows and deletes it', async () => {
    const home = join(work, 'cli-home');
    const imported = await run(home, 'import', folder, '--name', 'My Pets', '--size', '16', '--json');
    expect(imported.code).toBe(0);
    const result = JSON.parse(imported.out);
    // Without --test-fraction a folder with no test/ gets a stratified 10% test split.
    expect(result).toMatchObject({ id: 'my-pets', name: 'My Pets', classes: ['cat', 'dog', 'fox'], counts: { train: { cat: 11, dog: 11, fox: 11 }, val: {}, test: { cat: 1, dog: 1, fox: 1 } } });
    expect(result.skipped).toEqual([{ path: 'dog/bad.jpg', reason: expect.stringMatching(/^not an image/) }]);
    const list = JSON.parse((await run(home, 'list', '--json')).out);
    expect(list.map((d: { id: string }) => d.id)).toContain('my-pets');
    const shown = JSON.parse((await run(home, 'show', 'my-pets', '--json')).out);
    expect(shown.classCounts.train).toEqual([11, 11, 11]);
    expect(shown.testCount).toBe(3);
    expect((await run(home, 'show', 'my-pets')).out).toMatch(/dog\/bad\.jpg: not an image/);
    expect(JSON.parse((await run(home, 'delete', 'my-pets', '--json')).out)).toEqual({ id: 'my-pets' });
    const noTest = JSON.parse((await run(home, 'import', folder, '--size', '16', '--test-fraction', '0', '--json')).out);
    expect(noTest.counts).toMatchObject({ train: { cat: 12, dog: 12, fox: 12 }, test: {} });
    expect(JSON.parse((await run(home, 'delete', 'pets', '--json')).out)).toEqual({ id: 'pets' });
    // The text form counts its classes in English.
    expect((await run(home, 'import', folder, '--size', '16')).out).toMatch(/imported "pets" as pets: 3 classes, 16×16×3\n/);
  });

  it('rejects bad flags with the field named', async () => {
    const home = join(work, 'cli-bad');
    await expect(run(home, 'import', folder, '--size', 'big')).rejects.toMatchObject({ error: { field: 'size' } });
    await expect(run(home, 'import', folder, '--size', '4')).rejects.toMatchObject({ error: { code: 'invalid_request', field: 'size' } });
    await expect(run(home, 'import', folder, '--test-fraction', '0.9')).rejects.toMatchObject({ error: { code: 'invalid_request', field: 'test-fraction' } });
    await expect(run(home, 'import', folder, '--test-fraction', 'some')).rejects.toMatchObject({ error: { field: 'test-fraction', message: expect.stringContaining('"some"') } });
    await expect(run(home, 'list', '--size', '4')).rejects.toMatchObject({ error: { field: 'size' } });
    await expect(run(home, 'show')).rejects.toMatchObject({ error: { field: 'id' } });
    await expect(run(home, 'show', 'ghost')).rejects.toMatchObject({ error: { code: 'not_found' } });
  });
});

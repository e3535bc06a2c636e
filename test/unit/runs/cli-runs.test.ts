import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildMain, distMain } from '../helpers/build';
import { TINY_CLASSES, TINY_DATASET, writeTinyDataset } from './helpers';

function cvb(args: string[], home: string) {
  const result = spawnSync(process.execPath, [join(distMain, 'cli.js'), ...args, '--home', home], { encoding: 'utf8', timeout: 180_000 });
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  const parse = (line: string) => {
    try {
      return JSON.parse(line);
    } catch {
      return null;
    }
  };
  return { code: result.status, lines, json: lines.map(parse), stderr: result.stderr };
}

beforeAll(() => buildMain());

describe('cvb runs update|delete|export|import and cvb eval', () => {
  it('evaluates, annotates, exports, deletes and imports a run', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-runs-'));
    writeTinyDataset(home);
    const train = cvb(['train', '--model', 'resnet20', '--data', TINY_DATASET, '--epochs', '1', '--batch-size', '16', '--json'], home);
    expect(train.code).toBe(0);
    const id = train.json[0].runId as string;

    const evaluated = cvb(['eval', id, '--json'], home);
    expect(evaluated.code).toBe(0);
    const result = evaluated.json[0];
    expect(Object.keys(result).slice(0, 4)).toEqual(['accuracy', 'top5', 'perClass', 'confusion']);
    expect(result.perClass.map((c: { class: string }) => c.class)).toEqual(TINY_CLASSES);
    expect(result.perClass[0]).toEqual({ class: 'a', precision: expect.any(Number), recall: expect.any(Number), support: 10 });
    expect(result.confusion).toHaveLength(TINY_CLASSES.length);
    expect(cvb(['eval', id, '--saved', '--json'], home).json[0].accuracy).toBe(result.accuracy);
    expect(cvb(['eval', id, '--saved'], home).lines.join('\n')).toMatch(/top-1 \d+\.\d%/);

    const updated = cvb(['runs', 'update', id, '--name', 'tiny baseline', '--tags', 'cli,tiny', '--star', '--json'], home);
    expect(updated.json[0]).toMatchObject({ id, name: 'tiny baseline', tags: ['cli', 'tiny'], starred: true });
    expect(cvb(['runs', 'list', '--json'], home).json[0][0]).toMatchObject({ id, name: 'tiny baseline', test: { accuracy: result.accuracy } });

    const out = mkdtempSync(join(tmpdir(), 'cvb-cli-out-'));
    const archive = cvb(['runs', 'export', id, '--out', out, '--json'], home).json[0];
    expect(archive.path).toBe(join(out, `${id}.cvbrun.tar.gz`));
    expect(existsSync(archive.path)).toBe(true);
    const model = cvb(['runs', 'export', id, '--kind', 'model', '--out', join(out, 'model'), '--json'], home).json[0];
    expect(existsSync(join(model.path, 'model.json'))).toBe(true);
    const csv = cvb(['runs', 'export', id, '--kind', 'metrics', '--json'], home).json[0];
    expect(csv.path).toMatch(/metrics\.csv$/);

    expect(cvb(['runs', 'delete', id, '--json'], home).json[0]).toEqual({ id });
    expect(cvb(['runs', 'list', '--json'], home).json[0]).toEqual([]);
    const imported = cvb(['runs', 'import', archive.path, '--json'], home);
    expect(imported.json[0]).toMatchObject({ id, name: 'tiny baseline', status: 'completed' });
  }, 240_000);

  it.each([
    [['eval', '--json'], 'id'],
    [['eval', '../etc', '--json'], 'id'],
    [['eval', 'no-such-run', '--json'], 'id'],
    [['runs', 'delete', '../x', '--json'], 'id'],
    [['runs', 'delete', '--json'], 'id'],
    [['runs', 'export', 'some-run', '--kind', 'zip', '--json'], 'kind'],
    [['runs', 'export', 'some-run', '--checkpoint', 'first', '--json'], 'checkpoint'],
    [['runs', 'import', '/no/such/file.tar.gz', '--json'], 'file'],
    [['runs', 'update', 'some-run', '--star', '--unstar', '--json'], 'star'],
    [['runs', 'frobnicate', '--json'], 'action'],
  ])('cvb %j exits 2 naming %s', (args, field) => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-cli-bad-'));
    const result = cvb(args, home);
    expect(result.code).toBe(2);
    expect(result.json[0].error.field).toBe(field);
  });
});

/** `cvb experiment` through the real command line, with tiny runs (--max-steps 2). */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildMain, distMain } from '../helpers/build';

function cvb(args: string[], home: string) {
  const result = spawnSync(process.execPath, [join(distMain, 'cli.js'), ...args, '--home', home], { encoding: 'utf8', timeout: 900_000 });
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  return { code: result.status, lines, json: lines.map((line) => JSON.parse(line)), stderr: result.stderr };
}

const TINY = ['--model', 'resnet20', '--option', 'widthMultiplier=0.25', '--batch-size', '8', '--max-steps', '2'];

beforeAll(() => buildMain());

describe('cvb experiment', () => {
  it.each([
    [['run', ...TINY, '--vary', 'colour=red,blue'], 'vary', /"colour" is neither a switch of resnet20/],
    [['run', ...TINY, '--vary', 'activation=relu'], 'vary', /give 2 to 6 values/],
    [['run', ...TINY, '--vary', 'learningRate=1,2,3,4,5,6,7'], 'vary', /give 2 to 6 values/],
    [['run', ...TINY, '--vary', 'activation=relu,relu'], 'vary', /values must differ/],
    [['run', ...TINY, '--vary', 'activation=relu,tanh2'], 'vary', /the arm "tanh2" does not build/],
    [['run', ...TINY, '--vary', 'activation'], 'vary', /expected SWITCH=v1,v2/],
    [['run', ...TINY, '--vary', 'activation=relu,sigmoid', '--seeds', '0'], 'seeds', /--seeds: too small/],
    [['run', ...TINY, '--vary', 'activation=relu,sigmoid', '--seeds', 'three'], 'seeds', /received "three"/],
    [['run', ...TINY, '--vary', 'activation=relu,sigmoid', '--seeds', '2.5'], 'seeds', /whole number/],
    [['run', '--model', 'resnet9000', '--vary', 'activation=relu,sigmoid'], 'model', /unknown model "resnet9000"/],
    [['run', '--base', 'no-such-run', '--vary', 'activation=relu,sigmoid'], 'base', /no run with id "no-such-run"/],
    [['run', '--builtin', 'no-such-idea'], 'builtin', /unknown built-in experiment "no-such-idea"; built-in experiments: relu-vs-sigmoid/],
    [['run', '--builtin', 'relu-vs-sigmoid', '--vary', 'activation=relu,elu'], 'vary', /built-in experiment brings its own/],
    [['run', '--model', 'resnet20'], 'vary', /--vary/],
    [['show', 'exp-nope'], 'id', /no experiment with id "exp-nope"/],
    [['show', '../etc'], 'id', /must be an experiment id/],
  ])('%j exits 2 naming %s and writes nothing', (args, field, message) => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-exp-'));
    const result = cvb(['experiment', ...args, '--json'], home);
    expect(result.code, result.stderr).toBe(2);
    expect(result.json[0].error).toMatchObject({ code: expect.any(String), field, message: expect.stringMatching(message) });
    expect(existsSync(join(home, 'experiments')) ? readdirSync(join(home, 'experiments')) : []).toEqual([]);
    expect(existsSync(join(home, 'runs')) ? readdirSync(join(home, 'runs')) : []).toEqual([]);
  });

  it('lists the built-in paper experiments', () => {
    const home = mkdtempSync(join(tmpdir(), 'cvb-exp-'));
    const result = cvb(['experiment', 'builtin', '--json'], home);
    expect(result.code).toBe(0);
    const names = result.json[0].map((b: { name: string }) => b.name);
    expect(names).toContain('relu-vs-sigmoid');
    expect(result.json[0][0]).toMatchObject({ claims: [{ better: 'relu', worse: 'sigmoid', en: expect.any(String), zhCN: expect.any(String) }] });
  });

  it(
    'runs an experiment, stops on Ctrl+C, resumes, shows the result, reports it and deletes it with its runs',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'cvb-exp-'));
      // Started, then interrupted (SIGINT) once its first run has ended.
      const child = spawn(process.execPath, [join(distMain, 'cli.js'), 'experiment', 'run', ...TINY, '--vary', 'activation=relu,sigmoid', '--seeds', '2', '--json', '--home', home]);
      let out = '';
      const firstDone = new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (/"done":1/.test(out)) resolve();
        });
      });
      await firstDone;
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      const lines = out.trim().split('\n').map((line) => JSON.parse(line));
      const id = lines[0].id as string;
      expect(lines[lines.length - 1]).toMatchObject({ event: 'end', id, status: 'stopped' });

      const resumed = cvb(['experiment', 'resume', id, '--json'], home);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.json[resumed.json.length - 1]).toMatchObject({ event: 'end', status: 'completed', done: 4, total: 4 });

      const show = cvb(['experiment', 'show', id, '--json'], home).json[0];
      expect(show).toMatchObject({ id, vary: { field: 'activation', values: ['relu', 'sigmoid'] }, seeds: 2 });
      expect(show.arms).toHaveLength(2);
      for (const arm of show.arms) {
        expect(arm.runs).toHaveLength(2);
        expect(arm.final).toMatchObject({ metric: 'valAccuracy', mean: expect.any(Number), std: expect.any(Number), ci95: [expect.any(Number), expect.any(Number)] });
      }
      expect(show.difference).toMatchObject({ metric: 'valAccuracy', estimate: expect.any(Number), ci95: [expect.any(Number), expect.any(Number)], verdict: expect.stringMatching(/after 2 steps \(2 seeds, paired/) });

      const runIds = show.arms.flatMap((arm: { runs: string[] }) => arm.runs);
      expect(new Set(runIds).size).toBe(4);
      const runs = cvb(['runs', 'list', '--json'], home).json[0] as { id: string; tags: string[]; status: string }[];
      expect(runs.map((r) => r.id).sort()).toEqual([...runIds].sort());
      expect(runs.every((r) => r.tags.includes(id) && r.status === 'completed')).toBe(true);
      const seeds = runIds.map((run: string) => cvb(['runs', 'show', run, '--json'], home).json[0].config.seed);
      expect(seeds).toEqual([42, 43, 42, 43]);

      const report = cvb(['experiment', 'report', id, '--json'], home).json[0];
      expect(readFileSync(report.path, 'utf8')).toContain('<svg');
      const csv = cvb(['experiment', 'report', id, '--format', 'csv', '--json'], home).json[0];
      expect(readFileSync(csv.path, 'utf8').trim().split('\n')).toHaveLength(5);

      expect(cvb(['experiment', 'list', '--json'], home).json[0]).toMatchObject([{ id, status: 'completed', done: 4 }]);
      expect(cvb(['experiment', 'delete', id, '--json'], home).code).toBe(0);
      expect(readdirSync(join(home, 'runs')).filter((name) => !name.startsWith('.'))).toEqual([]);
      expect(readdirSync(join(home, 'experiments'))).toEqual([]);
    },
    1_200_000,
  );
});

/**
 * The command line's one parser, driven by every command's own option table: each option that
 * takes a value takes it as `--name VALUE` and as `--name=VALUE`, and a wrong option or a missing
 * value is a usage error (exit 2) that names the option.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMON_OPTIONS, parseCommandArgs, type Options } from '../../../src-main/cli/args';
import { commands } from '../../../src-main/cli/commands';
import { UsageError } from '../../../src-main/cli/output';
import { usageOf } from '../../../src-main/cli/usage';
import { buildMain, distMain } from '../helpers/build';

const tables = Object.entries(commands).map(([name, command]) => [name, { ...COMMON_OPTIONS, ...command.options } as Options] as const);
const valueOptions = tables.flatMap(([name, options]) =>
  Object.entries(options)
    .filter(([, spec]) => spec.type === 'string')
    .map(([option, spec]) => [name, option, spec.multiple ?? false] as const),
);
const flagOptions = tables.flatMap(([name, options]) =>
  Object.entries(options)
    .filter(([, spec]) => spec.type === 'boolean')
    .map(([option]) => [name, option] as const),
);

function usageError(parse: () => unknown) {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).error;
  }
  throw new Error('expected a usage error');
}

describe('cvb options', () => {
  it('covers every command and the options they share', () => {
    expect(Object.keys(commands).sort()).toEqual(['bench', 'data', 'eval', 'experiment', 'inspect', 'models', 'predict', 'runs', 'serve', 'train']);
    expect(valueOptions.filter(([, option]) => option === 'home')).toHaveLength(10);
    expect(valueOptions.length).toBeGreaterThan(40);
  });

  it.each(valueOptions)('%s --%s VALUE and --%s=VALUE give the same value', (name, option, multiple) => {
    const options = commands[name].options;
    for (const value of ['some value', '-1', 'a=b']) {
      const spaced = parseCommandArgs([`--${option}`, value], options).values as Record<string, unknown>;
      const joined = parseCommandArgs([`--${option}=${value}`], options).values as Record<string, unknown>;
      expect(spaced[option]).toEqual(multiple ? [value] : value);
      expect(joined[option]).toEqual(spaced[option]);
    }
  });

  it.each(valueOptions)('%s --%s without a value is a usage error naming it', (name, option) => {
    const error = usageError(() => commands[name].parse([`--${option}`]));
    expect(error).toMatchObject({ code: 'invalid_request', field: option, message: expect.stringContaining(`--${option}`) });
  });

  it.each(flagOptions)('%s --%s takes no value', (name, option) => {
    expect(usageError(() => commands[name].parse([`--${option}=yes`]))).toMatchObject({ field: option });
  });

  it.each(Object.keys(commands))('%s reads --home in both forms and refuses an unknown option by name', (name) => {
    expect(commands[name].parse(['--home', '/tmp/a b']).home).toBe('/tmp/a b');
    expect(commands[name].parse(['--home=/tmp/a b']).home).toBe('/tmp/a b');
    expect(commands[name].parse(['--json']).json).toBe(true);
    expect(usageError(() => commands[name].parse(['--colour', 'red']))).toMatchObject({ code: 'invalid_request', field: 'colour', message: expect.stringContaining("'--colour'") });
  });
});

describe('cvb <command> --help', () => {
  it.each(Object.keys(commands))('%s has its own usage lines and parses --help and -h', (name) => {
    const usage = usageOf(name);
    const own = usage.slice(0, usage.indexOf('\noptions:')).split('\n').filter((line) => /^ {2}\S/.test(line));
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((line) => line.trimStart().startsWith(`${name} `))).toBe(true);
    expect(usage).toContain('--home DIR');
    expect(commands[name].parse(['--help']).help).toBe(true);
    expect(commands[name].parse(['-h']).help).toBe(true);
    expect(commands[name].parse([]).help).toBe(false);
  });
});

describe('cvb --home=DIR (the built command line)', () => {
  beforeAll(() => buildMain());
  // Should a form be misread, the fallback folder is a scratch one, never this machine's real data.
  const fallback = mkdtempSync(join(tmpdir(), 'cvb-fallback-'));
  const cvb = (...args: string[]) =>
    spawnSync(process.execPath, [join(distMain, 'cli.js'), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, CVB_HOME: '', HOME: fallback, XDG_CONFIG_HOME: fallback } });

  it.each([['--home', 'DIR'], ['--home=DIR']])('runs in the folder given as %j', (...form) => {
    const home = join(mkdtempSync(join(tmpdir(), 'cvb-home-')), 'home');
    const result = cvb('runs', 'list', ...form.map((arg) => arg.replace('DIR', home)), '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(existsSync(join(home, 'runs'))).toBe(true);
    expect(readdirSync(fallback)).toEqual([]);
  });

  it('exits 2 naming the option for a missing value or an unknown option', () => {
    const missing = cvb('runs', 'list', '--json', '--home');
    expect(missing.status).toBe(2);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'invalid_request', field: 'home' });
    const unknown = cvb('runs', 'list', '--json', '--homes=/tmp');
    expect(unknown.status).toBe(2);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'invalid_request', field: 'homes' });
    expect(readdirSync(fallback)).toEqual([]);
  });

  it('prints a command\'s usage for --help and runs nothing, even without its required options', () => {
    const home = join(mkdtempSync(join(tmpdir(), 'cvb-home-')), 'home');
    const bench = cvb('bench', '--help', `--home=${home}`);
    expect(bench.status).toBe(0);
    expect(bench.stdout).toContain('usage: cvb bench');
    expect(bench.stdout).toContain('--threads N,M');
    expect(bench.stdout).not.toContain('training resnet20');
    const train = cvb('train', '-h', `--home=${home}`);
    expect(train.status).toBe(0);
    expect(train.stdout).toContain('--model NAME');
    expect(train.stdout).not.toContain('  bench');
    expect(existsSync(home)).toBe(false);
  });
});

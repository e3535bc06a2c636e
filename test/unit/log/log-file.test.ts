// The log file: pino lines in <folder>/workbench.N.log, rotated by size, the oldest removed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLogFile } from '../../../src-main/core/log';
import { waitFor } from '../helpers/wait';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'cvb-log-'));
  folders.push(folder);
  return join(folder, 'logs');
}

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the log file', () => {
  it('writes one JSON object per line with level, time, message and fields', async () => {
    const folder = tempFolder();
    const log = await openLogFile({ folder, sync: true });
    log.logger.info({ runId: 'r1', model: 'resnet20' }, 'run started');
    log.logger.error({ err: new Error('boom') }, 'worker crashed');
    const file = log.currentFile();
    await log.close();
    expect(file).toBe(join(folder, 'workbench.1.log'));
    const [started, crashed] = lines(file);
    expect(started).toMatchObject({ level: 30, msg: 'run started', runId: 'r1', model: 'resnet20', pid: process.pid });
    expect(typeof started.time).toBe('string');
    expect(crashed).toMatchObject({ level: 50, msg: 'worker crashed', err: { message: 'boom', type: 'Error' } });
  });

  it('starts a new file when one reaches its size and keeps only the newest ones', async () => {
    const folder = tempFolder();
    const log = await openLogFile({ folder, maxBytes: 1000, keep: 2, sync: true });
    const payload = 'x'.repeat(200);
    for (let i = 0; i < 30; i++) {
      log.logger.info({ i, payload }, 'line');
      // Rotation happens on the stream's next drain, one turn of the event loop after the write.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.close();
    // Old files are removed in the background after a rotation.
    await waitFor(() => readdirSync(folder).length <= 3, 10_000, 'the oldest log files to be removed');
    const files = readdirSync(folder).sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
    expect(files.length).toBe(3);
    expect(files.every((name) => /^workbench\.\d+\.log$/.test(name))).toBe(true);
    const kept = files.flatMap((name) => lines(join(folder, name)).map((line) => line.i as number));
    // The newest lines survive, in order, with none torn or repeated.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 30 - kept.length + k));
    for (const name of files.slice(0, -1)) expect(readFileSync(join(folder, name)).length).toBeGreaterThanOrEqual(1000);
  });
});

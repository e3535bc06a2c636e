// system.about over the in-process transport, and what Core writes to the log it is given.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLogFile, type LogFile } from '../../../src-main/core/log';
import { createWorkbench, type Workbench } from '../../../src-main/core/workbench';
import { buildMain, distMain, repoRoot } from '../helpers/build';
import { waitFor } from '../helpers/wait';
import { connectInProcess, type Connection } from '../serve/transports';

let home: string;
let log: LogFile;
let workbench: Workbench;
let connection: Connection;

beforeAll(async () => {
  buildMain();
  home = mkdtempSync(join(tmpdir(), 'cvb-about-'));
  log = await openLogFile({ folder: join(home, 'logs'), sync: true });
  workbench = await createWorkbench({
    home,
    mode: 'test',
    version: '9.8.7',
    log,
    resourcesDir: join(repoRoot, 'resources'),
    workerEntry: join(distMain, 'train-worker.js'),
  });
  connection = await connectInProcess(workbench);
});

afterAll(async () => {
  await connection?.close();
  await workbench?.close();
  await log?.close();
  rmSync(home, { recursive: true, force: true });
});

const logLines = () =>
  readFileSync(log.currentFile(), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('system.about', () => {
  it('names the versions, the log file and its folder', async () => {
    const about = await connection.client.call('system.about', {});
    expect(about).toEqual({
      ok: true,
      value: {
        versions: { app: '9.8.7', node: process.versions.node, electron: null, chrome: null, platform: `${process.platform}-${process.arch}` },
        logFile: join(home, 'logs', 'workbench.1.log'),
        logFolder: join(home, 'logs'),
        crashDumpsFolder: null,
      },
    });
  });

  it('is null about files where the host keeps none', async () => {
    const bare = await createWorkbench({ home: mkdtempSync(join(tmpdir(), 'cvb-about-bare-')), mode: 'cli', resourcesDir: join(repoRoot, 'resources'), workerEntry: join(distMain, 'train-worker.js') });
    try {
      const about = await (await connectInProcess(bare)).client.call('system.about', {});
      expect(about).toMatchObject({ ok: true, value: { logFile: null, logFolder: null, crashDumpsFolder: null } });
    } finally {
      await bare.close();
    }
  });

  it('refuses parameters it does not take', async () => {
    const result = await connection.client.call('system.about', { verbose: true } as never);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'verbose' } });
  });
});

describe('the log Core writes', () => {
  it('records the start-up and each refused request with its method, code and field', async () => {
    await connection.client.call('runs.get', { id: 'no-such-run' });
    const lines = logLines();
    expect(lines[0]).toMatchObject({ msg: 'workbench starting', home, mode: 'test', version: '9.8.7' });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request refused', method: 'runs.get', code: 'not_found', field: 'id' }));
  });

  it('records a run from its start, with the backend chosen, to its end', async () => {
    const started = await connection.client.call('runs.start', { model: 'resnet20', epochs: 1, batchSize: 8, learningRate: 0.01, maxSteps: 1 });
    if (!started.ok) throw new Error(started.error.message);
    const runId = started.value.id;
    const ended = await waitFor(() => logLines().find((line) => line.runId === runId && line.msg === 'run ended'), 120_000, 'the run to end');
    expect(ended).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(logLines()).toContainEqual(expect.objectContaining({ msg: 'run started', runId, backend: expect.stringMatching(/^(tensorflow|wasm|cpu)$/) }));
  });
});

/**
 * Bringing a run folder home: the folder a PyTorch job wrote (or any workbench run folder) is
 * checked, copied into a hidden folder of runs/, given a new id if its own is taken, and renamed
 * into place in one step, so a failed import leaves nothing half-copied in the run list.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordedTrainConfigSchema } from '../contract';
import { commitStagedRun } from '../store/archive';
import { IMPORT_PREFIX, type RunRecord, type RunStore } from '../store/runs';

export class RunFolderError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'RunFolderError';
  }
}

/** The run folder itself, or the only run folder inside `dir` (a job's --out folder holding one run). */
export function findRunFolder(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RunFolderError('source.path', `source.path: no folder at ${dir}`);
  if (existsSync(join(dir, 'run.json'))) return dir;
  if (existsSync(join(dir, 'experiment.json'))) {
    throw new RunFolderError(
      'source.path',
      `source.path: ${dir} is an experiment's jobs folder; import it as the experiment with \`cvb experiment import ${dir}\` (or drop it on the Experiments screen)`,
    );
  }
  const runs = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'run.json')));
  if (runs.length === 1) return join(dir, runs[0].name);
  throw new RunFolderError(
    'source.path',
    runs.length === 0
      ? `source.path: ${dir} is not a run folder (no run.json in it or in a sub-folder)`
      : `source.path: ${dir} holds ${runs.length} run folders (${runs.map((r) => r.name).join(', ')}); import them one at a time`,
  );
}

/** Every weight a checkpoint's manifest lists must be in its weights.bin: no truncated copy is imported. */
function checkCheckpoints(dir: string): void {
  const root = join(dir, 'checkpoints');
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const modelFile = join(root, name, 'model.json');
    if (name.startsWith('.') || !existsSync(modelFile)) continue;
    let manifest: { weightsManifest?: { weights?: { name: string; shape: number[] }[] }[] };
    try {
      manifest = JSON.parse(readFileSync(modelFile, 'utf8'));
    } catch (error) {
      throw new RunFolderError('source.path', `checkpoints/${name}/model.json cannot be read: ${(error as Error).message}`);
    }
    const expected = (manifest.weightsManifest ?? []).flatMap((group) => group.weights ?? []).reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    const weightsFile = join(root, name, 'weights.bin');
    const actual = existsSync(weightsFile) ? statSync(weightsFile).size : -1;
    if (actual !== expected) {
      throw new RunFolderError('source.path', `checkpoints/${name}/weights.bin holds ${actual < 0 ? 'nothing' : `${actual} bytes`} but its model.json lists ${expected}; was the copy cut short?`);
    }
  }
}

function readRecord(dir: string): RunRecord {
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
  } catch (error) {
    throw new RunFolderError('source.path', `run.json cannot be read: ${(error as Error).message}`);
  }
  if (!record || typeof record !== 'object') throw new RunFolderError('source.path', 'run.json does not describe a run');
  const config = RecordedTrainConfigSchema.safeParse(record.config);
  if (!config.success) {
    const issue = config.error.issues[0];
    throw new RunFolderError('source.path', `run.json: config.${issue.path.join('.')}: ${issue.message}`);
  }
  if (typeof record.status !== 'string') throw new RunFolderError('source.path', `run.json: status must be a run status (received ${JSON.stringify(record.status)})`);
  return record;
}

/** Checks a run folder without importing it: its run.json and every checkpoint's weights. */
export function checkRunFolder(dir: string): RunRecord {
  const record = readRecord(dir);
  checkCheckpoints(dir);
  return record;
}

/**
 * Imports the run folder at `source` (see findRunFolder) into the store. A run still marked
 * running (its job was killed, or is still going) arrives interrupted.
 */
export function importRunFolder(store: RunStore, source: string): RunRecord {
  const dir = findRunFolder(source);
  const record = checkRunFolder(dir);
  mkdirSync(store.runsDir, { recursive: true });
  const staging = join(store.runsDir, `${IMPORT_PREFIX}${randomBytes(6).toString('hex')}`);
  try {
    cpSync(dir, staging, { recursive: true, filter: (path) => !path.slice(dir.length).split(/[\\/]/).some((part) => part.startsWith('.')) });
    return commitStagedRun(store, staging, record);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

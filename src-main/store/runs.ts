/**
 * Runs on disk, one folder per run (shared/DESIGN.md "The run folder"):
 *   runs/<id>/run.json       config, status, timestamps, backend, versions (atomic rewrite)
 *   runs/<id>/metrics.jsonl  one event per line, append-only; a torn last line is ignored
 *   runs/<id>/checkpoints/   written by the training worker
 * The training worker is the single writer of a run while it runs; the host writes only before
 * the worker starts and after it is gone.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  MetricEventSchema,
  RUN_ID_PATTERN,
  type BackendReport,
  type FinalMetrics,
  type MetricEvent,
  type RunStatus,
  type RunSummary,
  type TrainConfig,
} from '../contract';
import { atomicWriteFileSync } from './atomic';

export const RUN_SCHEMA_VERSION = 1;

/** The content of run.json. */
export interface RunRecord {
  schemaVersion: number;
  id: string;
  config: TrainConfig;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  backend: BackendReport | null;
  versions: Record<string, string>;
  epochsDone: number;
  steps: number;
  final: FinalMetrics;
  error: string | null;
  /** Process id of the training worker while it runs; used to find interrupted runs at start-up. */
  workerPid: number | null;
}

export class InvalidRunIdError extends Error {}
export class RunNotFoundError extends Error {}

export const EMPTY_FINAL: FinalMetrics = { trainLoss: null, trainAccuracy: null, valLoss: null, valAccuracy: null };

function timestampId(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'run';
}

export class RunStore {
  readonly runsDir: string;

  constructor(home: string) {
    this.runsDir = join(home, 'runs');
  }

  /** The folder of a run; refuses anything that is not a run id, so no path ever escapes runs/. */
  runDir(id: string): string {
    if (!RUN_ID_PATTERN.test(id)) throw new InvalidRunIdError(`"${id}" is not a run id`);
    return join(this.runsDir, id);
  }

  create(config: TrainConfig, versions: Record<string, string>, now = new Date()): RunRecord {
    mkdirSync(this.runsDir, { recursive: true });
    const id = `${timestampId(now)}-${slug(config.model)}-${randomBytes(3).toString('hex')}`;
    const dir = this.runDir(id);
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    const record: RunRecord = {
      schemaVersion: RUN_SCHEMA_VERSION,
      id,
      config,
      status: 'queued',
      createdAt: now.toISOString(),
      startedAt: null,
      endedAt: null,
      backend: null,
      versions,
      epochsDone: 0,
      steps: 0,
      final: { ...EMPTY_FINAL },
      error: null,
      workerPid: null,
    };
    atomicWriteFileSync(join(dir, 'metrics.jsonl'), '');
    this.write(record);
    return record;
  }

  write(record: RunRecord): void {
    atomicWriteFileSync(join(this.runDir(record.id), 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  }

  read(id: string): RunRecord {
    const file = join(this.runDir(id), 'run.json');
    if (!existsSync(file)) throw new RunNotFoundError(`no run with id "${id}"`);
    const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
    if (record.id !== id || typeof record.status !== 'string' || typeof record.config !== 'object') {
      throw new Error('run.json does not describe this run');
    }
    return record;
  }

  update(id: string, patch: Partial<RunRecord>): RunRecord {
    const record = { ...this.read(id), ...patch };
    this.write(record);
    return record;
  }

  /** Every line of metrics.jsonl that parses; a torn or damaged line is skipped, never fatal. */
  readMetrics(id: string): MetricEvent[] {
    const file = join(this.runDir(id), 'metrics.jsonl');
    if (!existsSync(file)) return [];
    const events: MetricEvent[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const parsed = MetricEventSchema.safeParse(JSON.parse(line));
        if (parsed.success) events.push(parsed.data);
      } catch {
        // A torn last line after a crash: the lines before it are intact.
      }
    }
    return events;
  }

  ids(): string[] {
    if (!existsSync(this.runsDir)) return [];
    return readdirSync(this.runsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && RUN_ID_PATTERN.test(entry.name))
      .map((entry) => entry.name)
      .sort()
      .reverse();
  }

  /** Every run, newest first. A damaged run folder is listed as damaged and never hides the others. */
  list(): RunSummary[] {
    return this.ids().map((id) => {
      try {
        return toSummary(this.read(id));
      } catch (error) {
        return damagedSummary(id, error);
      }
    });
  }

  /**
   * At start-up: a run marked queued or running whose worker is gone was interrupted by a crash
   * or a kill; mark it so, so it can be resumed and is not shown as running forever.
   */
  markInterrupted(isAlive: (pid: number) => boolean): string[] {
    const changed: string[] = [];
    for (const id of this.ids()) {
      let record: RunRecord;
      try {
        record = this.read(id);
      } catch {
        continue;
      }
      if ((record.status === 'running' || record.status === 'queued') && !(record.workerPid && isAlive(record.workerPid))) {
        this.write({ ...record, status: 'interrupted', workerPid: null, endedAt: record.endedAt ?? new Date().toISOString() });
        changed.push(id);
      }
    }
    return changed;
  }
}

export function toSummary(record: RunRecord): RunSummary {
  return {
    id: record.id,
    model: record.config.model,
    dataset: record.config.dataset,
    status: record.status,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    backend: record.backend?.name ?? null,
    epochsDone: record.epochsDone,
    steps: record.steps,
    final: record.final,
    error: record.error,
    damaged: null,
  };
}

function damagedSummary(id: string, error: unknown): RunSummary {
  return {
    id,
    model: 'unknown',
    dataset: 'unknown',
    status: 'failed',
    createdAt: '',
    startedAt: null,
    endedAt: null,
    backend: null,
    epochsDone: 0,
    steps: 0,
    final: { ...EMPTY_FINAL },
    error: null,
    damaged: `run.json cannot be read: ${error instanceof Error ? error.message : String(error)}`,
  };
}

/** Appends metric lines; each line is written whole, and fsync is called at each epoch boundary. */
export class MetricsAppender {
  private readonly fd: number;

  constructor(file: string) {
    this.fd = openSync(file, 'a');
  }

  append(event: MetricEvent): void {
    const bytes = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

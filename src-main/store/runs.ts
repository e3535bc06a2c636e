/**
 * Runs on disk, one folder per run (shared/DESIGN.md "The run folder"):
 *   runs/<id>/run.json       config, status, timestamps, backend, versions, user metadata (atomic rewrite)
 *   runs/<id>/meta.json      user metadata edited while the run runs (host only, atomic), merged on read
 *   runs/<id>/metrics.jsonl  one event per line, append-only; a torn last line is ignored
 *   runs/<id>/checkpoints/   written by the training worker
 *   runs/<id>/eval/          test-split evaluation (see infer/evaluate.ts)
 * The training worker is the single writer of run.json while it runs; the host writes it only
 * before the worker starts and after it is gone, and puts a rename or a note made meanwhile in
 * meta.json instead, so the two processes never rewrite the same file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  isActiveStatus,
  MetricEventSchema,
  RUN_ID_PATTERN,
  type BackendReport,
  type BestMetric,
  type BudgetFit,
  type FinalMetrics,
  type MetricEvent,
  type RunMeta,
  type RunStatus,
  type RunSummary,
  type TestMetrics,
  type TrainConfig,
} from '../contract';
import { atomicWriteFileSync, fsyncDir } from './atomic';

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
  /** Name, notes, tags and star the user gave the run (absent in runs made before they existed). */
  meta?: RunMeta;
  /** A run with a time budget (config.maxMinutes): what its first steps fitted to it. */
  budget?: BudgetFit;
}

export class InvalidRunIdError extends Error {}
export class RunNotFoundError extends Error {}
/** The run is queued or running: its folder belongs to the training worker. */
export class RunBusyError extends Error {}

export const EMPTY_META: RunMeta = { name: null, notes: '', tags: [], starred: false };
const META_FILE = 'meta.json';
/** Prefix of a run folder being deleted or imported: hidden, and never a run id. */
const TRASH_PREFIX = '.deleted-';
export const IMPORT_PREFIX = '.import-';

function normalizeMeta(value: unknown): Partial<RunMeta> {
  if (!value || typeof value !== 'object') return {};
  const raw = value as Record<string, unknown>;
  const meta: Partial<RunMeta> = {};
  if (raw.name === null || typeof raw.name === 'string') meta.name = raw.name;
  if (typeof raw.notes === 'string') meta.notes = raw.notes;
  if (Array.isArray(raw.tags)) meta.tags = raw.tags.filter((tag): tag is string => typeof tag === 'string');
  if (typeof raw.starred === 'boolean') meta.starred = raw.starred;
  return meta;
}

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
    const id = this.newId(config.model, now);
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
      meta: { ...EMPTY_META },
    };
    atomicWriteFileSync(join(dir, 'metrics.jsonl'), '');
    this.write(record);
    return record;
  }

  write(record: RunRecord): void {
    atomicWriteFileSync(join(this.runDir(record.id), 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  }

  /** run.json, with the metadata of meta.json (edits made while the run ran) laid over its own. */
  read(id: string): RunRecord {
    const dir = this.runDir(id);
    const file = join(dir, 'run.json');
    if (!existsSync(file)) throw new RunNotFoundError(`no run with id "${id}"`);
    const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
    if (!record || record.id !== id || typeof record.status !== 'string' || !record.config || typeof record.config !== 'object') {
      throw new Error('run.json does not describe this run');
    }
    record.meta = { ...EMPTY_META, ...normalizeMeta(record.meta), ...this.readMetaFile(dir) };
    return record;
  }

  private readMetaFile(dir: string): Partial<RunMeta> {
    try {
      return normalizeMeta(JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')));
    } catch {
      // Absent, or damaged by a crash that atomic writes should prevent: run.json's metadata stands.
      return {};
    }
  }

  /**
   * Changes a run's name, notes, tags or star. A queued or running run's run.json belongs to its
   * worker, so the change goes to meta.json; otherwise into run.json, and meta.json is folded in.
   */
  updateMeta(id: string, patch: Partial<RunMeta>): RunRecord {
    const record = this.read(id);
    const meta: RunMeta = { ...EMPTY_META, ...record.meta, ...normalizeMeta(patch) };
    const dir = this.runDir(id);
    if (isActiveStatus(record.status)) {
      atomicWriteFileSync(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    } else {
      this.write({ ...record, meta });
      // A crash before this line leaves meta.json holding the same values: harmless.
      rmSync(join(dir, META_FILE), { force: true });
    }
    return { ...record, meta };
  }

  /**
   * Deletes a run that is not running. The folder is first renamed to a hidden name (one atomic
   * step), so a crash in the middle of the removal never leaves a half-deleted run in the list.
   */
  delete(id: string): void {
    const record = this.readForDelete(id);
    if (record && isActiveStatus(record.status)) {
      throw new RunBusyError(`run "${id}" is ${record.status}; stop it before deleting it`);
    }
    const trash = join(this.runsDir, `${TRASH_PREFIX}${id}-${randomBytes(4).toString('hex')}`);
    renameSync(this.runDir(id), trash);
    fsyncDir(this.runsDir);
    rmSync(trash, { recursive: true, force: true });
  }

  /** The record, or null for a damaged run (which can always be deleted). */
  private readForDelete(id: string): RunRecord | null {
    if (!existsSync(this.runDir(id))) throw new RunNotFoundError(`no run with id "${id}"`);
    try {
      return this.read(id);
    } catch {
      return null;
    }
  }

  /** Removes what a crash left of deletes and imports (hidden folders in runs/). */
  removeLeftovers(): void {
    if (!existsSync(this.runsDir)) return;
    for (const entry of readdirSync(this.runsDir, { withFileTypes: true })) {
      if (entry.isDirectory() && (entry.name.startsWith(TRASH_PREFIX) || entry.name.startsWith(IMPORT_PREFIX))) {
        rmSync(join(this.runsDir, entry.name), { recursive: true, force: true });
      }
    }
  }

  /** A fresh id that is not taken, for a run made from `model` (imports use it on a clash). */
  newId(model: string, now = new Date()): string {
    for (;;) {
      const id = `${timestampId(now)}-${slug(model)}-${randomBytes(3).toString('hex')}`;
      if (!existsSync(join(this.runsDir, id))) return id;
    }
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
    return this.ids().map((id) => this.summary(id));
  }

  /** One run as the list shows it: run.json, plus its best checkpoint's score and its test results. */
  summary(id: string): RunSummary {
    let record: RunRecord;
    try {
      record = this.read(id);
    } catch (error) {
      return damagedSummary(id, error);
    }
    const dir = this.runDir(id);
    return { ...toSummary(record), best: readBest(dir), test: readTestMetrics(dir) };
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

/** The score of the best checkpoint, from its state.json (small; the metrics file can be huge). */
function readBest(dir: string): BestMetric | null {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'checkpoints', 'best', 'state.json'), 'utf8')) as {
      best?: { metric?: unknown; score?: unknown; epoch?: unknown };
    };
    const best = state.best;
    if (!best || (best.metric !== 'valLoss' && best.metric !== 'valAccuracy')) return null;
    return {
      metric: best.metric,
      score: typeof best.score === 'number' ? best.score : null,
      epoch: typeof best.epoch === 'number' ? best.epoch : null,
    };
  } catch {
    return null;
  }
}

/** Top-1 and top-5 accuracy of the last evaluation on the test split, if the run has one. */
function readTestMetrics(dir: string): TestMetrics | null {
  try {
    const result = JSON.parse(readFileSync(join(dir, 'eval', 'summary.json'), 'utf8')) as { accuracy?: unknown; top5?: unknown };
    if (typeof result.accuracy !== 'number') return null;
    return { accuracy: result.accuracy, top5: typeof result.top5 === 'number' ? result.top5 : null };
  } catch {
    return null;
  }
}

export function toSummary(record: RunRecord): RunSummary {
  const meta = { ...EMPTY_META, ...normalizeMeta(record.meta) };
  return {
    id: record.id,
    model: record.config.model,
    dataset: record.config.dataset,
    status: record.status,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    backend: record.backend?.name ?? null,
    ...(record.backend?.threads ? { threads: record.backend.threads } : {}),
    epochsDone: record.epochsDone,
    steps: record.steps,
    final: record.final,
    error: record.error,
    damaged: null,
    name: meta.name,
    notes: meta.notes,
    tags: meta.tags,
    starred: meta.starred,
    modelOptions: { ...record.config.modelOptions },
    ...(record.budget ? { budget: record.budget } : {}),
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

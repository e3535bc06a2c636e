/**
 * Experiments on disk: experiments/<id>.json in the home, rewritten atomically (temporary file,
 * fsync, rename), so a crash leaves the old record or the new one. The record holds each arm's
 * whole configuration and the run id of each seed once that run has started; the runs
 * themselves are ordinary run folders.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  EXPERIMENT_ID_PATTERN,
  RUN_META_LIMITS,
  type ExperimentMetric,
  type PaperClaim,
  type SwitchValue,
  type TrainConfig,
  type BuiltinExperiment,
} from '../contract';
import { atomicWriteFileSync, fsyncDir } from '../store/atomic';

export const EXPERIMENT_SCHEMA_VERSION = 1;

export interface ExperimentArm {
  value: SwitchValue;
  /** The arm's configuration without its seed (each seed's run gets `seed: firstSeed + k`). */
  config: TrainConfig;
  /** The run of seed k, or null before it starts. */
  runs: (string | null)[];
}

export interface ExperimentRecord {
  schemaVersion: number;
  id: string;
  name: string;
  builtin: string | null;
  createdAt: string;
  /** 'active': its runs are queued and started in turn; 'stopped': by the user, until resumed. */
  state: 'active' | 'stopped';
  /** Set when the queue could not start a run (a dataset deleted since, say); cleared on resume. */
  error: string | null;
  /** The configuration the arms were made from (the run or config the user started from). */
  base: TrainConfig;
  vary: { field: string; values: SwitchValue[] };
  seeds: number;
  /** Seed of the first run of every arm; seed k is firstSeed + k in every arm (paired design). */
  firstSeed: number;
  metric: ExperimentMetric;
  arms: ExperimentArm[];
  claims: PaperClaim[];
  figure: BuiltinExperiment['figure'];
}

export class ExperimentNotFoundError extends Error {}
export class InvalidExperimentIdError extends Error {}

function timestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

export class ExperimentStore {
  readonly dir: string;

  constructor(home: string) {
    this.dir = join(home, 'experiments');
  }

  private file(id: string): string {
    if (!EXPERIMENT_ID_PATTERN.test(id)) throw new InvalidExperimentIdError(`"${id}" is not an experiment id`);
    return join(this.dir, `${id}.json`);
  }

  newId(now = new Date()): string {
    for (;;) {
      const id = `exp-${timestamp(now)}-${randomBytes(2).toString('hex')}`;
      if (!existsSync(this.file(id))) return id;
    }
  }

  write(record: ExperimentRecord): void {
    mkdirSync(this.dir, { recursive: true });
    atomicWriteFileSync(this.file(record.id), `${JSON.stringify(record, null, 2)}\n`);
  }

  read(id: string): ExperimentRecord {
    const file = this.file(id);
    if (!existsSync(file)) throw new ExperimentNotFoundError(`no experiment with id "${id}"`);
    const record = JSON.parse(readFileSync(file, 'utf8')) as ExperimentRecord;
    if (!record || record.id !== id || !Array.isArray(record.arms)) throw new Error(`experiments/${id}.json does not describe this experiment`);
    return record;
  }

  /** Reads, changes and writes back one record (the host is its only writer). */
  update(id: string, change: (record: ExperimentRecord) => void): ExperimentRecord {
    const record = this.read(id);
    change(record);
    this.write(record);
    return record;
  }

  /** Ids, newest first. */
  ids(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => name.endsWith('.json') && EXPERIMENT_ID_PATTERN.test(name.slice(0, -'.json'.length)))
      .map((name) => name.slice(0, -'.json'.length))
      .sort()
      .reverse();
  }

  /** Every readable record; a damaged file is skipped so that it never hides the others. */
  list(): ExperimentRecord[] {
    const records: ExperimentRecord[] = [];
    for (const id of this.ids()) {
      try {
        records.push(this.read(id));
      } catch {
        continue;
      }
    }
    return records;
  }

  delete(id: string): void {
    const file = this.file(id);
    if (!existsSync(file)) throw new ExperimentNotFoundError(`no experiment with id "${id}"`);
    rmSync(file);
    fsyncDir(this.dir);
  }
}

/** The run config of one arm and seed. */
export function runConfigOf(record: ExperimentRecord, arm: number, seed: number): TrainConfig {
  return { ...record.arms[arm].config, seed: record.firstSeed + seed };
}

/** The name and tags of the run in one slot: named after the experiment, arm and seed, tagged with the experiment's id. */
export function slotRunMeta(record: ExperimentRecord, arm: number, seed: number): { name: string; tags: string[] } {
  return { name: `${record.name}: ${String(record.arms[arm].value)}, seed ${seed + 1}`.slice(0, RUN_META_LIMITS.name), tags: [record.id] };
}

/** Slots in the order they run: seed by seed across arms, so paired results come early. */
export function slotsInOrder(record: ExperimentRecord): { arm: number; seed: number }[] {
  const slots: { arm: number; seed: number }[] = [];
  for (let seed = 0; seed < record.seeds; seed++) {
    for (let arm = 0; arm < record.arms.length; arm++) slots.push({ arm, seed });
  }
  return slots;
}

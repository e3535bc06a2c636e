/**
 * The experiment queue: starts the runs of active experiments one at a time (or `parallel` at a
 * time), seed by seed across arms, oldest experiment first. It keeps no state of its own: every
 * decision is made from experiments/<id>.json and the runs' status on disk, so a restart picks up
 * where the last host left off, and interrupted runs resume from their checkpoints.
 */
import type { RunStatus, TrainConfig } from '../contract';
import { runConfigOf, slotRunMeta, slotsInOrder, type ExperimentRecord, type ExperimentStore } from './store';

/** What the queue needs of the host's runs (Core's run methods). */
export interface RunControl {
  /** Starts a run and returns its id; `name` and `tags` are the run's metadata. */
  start(config: TrainConfig, meta: { name: string; tags: string[] }): Promise<string>;
  resume(id: string): Promise<void>;
  stop(id: string): Promise<void>;
  delete(id: string): Promise<void>;
  /** The run's status, or null when its folder is gone. */
  status(id: string): RunStatus | null;
}

export interface QueueOptions {
  /** Runs at a time, across all experiments. */
  parallel?: number;
  /**
   * 'all': a long-lived host (the app, `cvb serve`) carries on every active experiment, also
   * those of an earlier session. 'own': a command-line process only those it created or resumed.
   */
  drive: 'all' | 'own';
  /** Called after an experiment's record or one of its runs changed. */
  onChange(id: string): void;
}

const ACTIVE: readonly (RunStatus | null)[] = ['running', 'queued'];
const RESUMABLE: readonly (RunStatus | null)[] = ['interrupted', 'stopped'];

export class ExperimentQueue {
  private readonly parallel: number;
  private readonly driven = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly store: ExperimentStore,
    private readonly runs: RunControl,
    private readonly options: QueueOptions,
  ) {
    this.parallel = Math.max(1, options.parallel ?? 1);
  }

  /** Marks an experiment as this process's to carry on (with drive 'own'). */
  drive(id: string): void {
    this.driven.add(id);
  }

  /** Starts or resumes runs until `parallel` are active; calls are serialized. */
  tick(): Promise<void> {
    this.chain = this.chain.then(() => this.step()).catch(() => undefined);
    return this.chain;
  }

  close(): void {
    this.closed = true;
  }

  private isDriven(record: ExperimentRecord): boolean {
    return this.options.drive === 'all' || this.driven.has(record.id);
  }

  private activeRuns(records: ExperimentRecord[]): number {
    let count = 0;
    for (const record of records) {
      for (const arm of record.arms) for (const id of arm.runs) if (id && ACTIVE.includes(this.runs.status(id))) count += 1;
    }
    return count;
  }

  private async step(): Promise<void> {
    if (this.closed) return;
    const records = this.store.list().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    let active = this.activeRuns(records);
    for (const record of records) {
      if (record.state !== 'active' || !this.isDriven(record)) continue;
      for (const { arm, seed } of slotsInOrder(record)) {
        if (active >= this.parallel || this.closed) return;
        const id = record.arms[arm].runs[seed] ?? null;
        const status = id ? this.runs.status(id) : null;
        try {
          if (id === null || status === null) {
            const runId = await this.runs.start(runConfigOf(record, arm, seed), slotRunMeta(record, arm, seed));
            this.store.update(record.id, (r) => {
              r.arms[arm].runs[seed] = runId;
            });
            record.arms[arm].runs[seed] = runId;
          } else if (RESUMABLE.includes(status)) {
            await this.runs.resume(id);
          } else {
            continue;
          }
          active += 1;
        } catch (error) {
          this.store.update(record.id, (r) => {
            r.state = 'stopped';
            r.error = `could not start the run of ${String(record.arms[arm].value)}, seed ${seed + 1}: ${error instanceof Error ? error.message : String(error)}`;
          });
          this.options.onChange(record.id);
          break;
        }
        this.options.onChange(record.id);
      }
    }
  }

  /** Stops the experiment's queue and its active runs; they resume with `resume`. */
  async stop(id: string): Promise<ExperimentRecord> {
    const record = this.store.update(id, (r) => {
      r.state = 'stopped';
    });
    for (const arm of record.arms) for (const runId of arm.runs) if (runId && ACTIVE.includes(this.runs.status(runId))) await this.runs.stop(runId);
    this.options.onChange(id);
    return record;
  }

  async resume(id: string): Promise<ExperimentRecord> {
    const record = this.store.update(id, (r) => {
      r.state = 'active';
      r.error = null;
    });
    this.drive(id);
    this.options.onChange(id);
    await this.tick();
    return record;
  }

  /** Adds seeds to every arm (paired: seed k is the same in each arm) and queues their runs. */
  async extend(id: string, seeds: number): Promise<ExperimentRecord> {
    this.store.update(id, (r) => {
      r.seeds += seeds;
    });
    return this.resume(id);
  }

  /** Deletes the experiment and its runs, stopping those that run. */
  async delete(id: string): Promise<void> {
    const record = await this.stop(id);
    for (const arm of record.arms) {
      for (const runId of arm.runs) if (runId && this.runs.status(runId) !== null) await this.runs.delete(runId);
    }
    this.store.delete(id);
    this.driven.delete(id);
  }
}

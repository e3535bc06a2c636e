/** Messages between the host (Core) and a training worker process, over the fork IPC channel. */
import type { BackendReport, BudgetFit, MetricEvent, RunStatus } from '../contract';

export type HostToWorker =
  /** `resume`: continue the run from its last checkpoint instead of starting it. */
  | { type: 'start'; home: string; runId: string; datasetRoots: string[]; resume?: boolean }
  | { type: 'stop' };

export type WorkerToHost =
  | { type: 'started'; backend: BackendReport; stepsPerEpoch: number; totalSteps: number; epochs: number }
  | { type: 'metric'; event: MetricEvent }
  /** A time budget was fitted: the run now ends after `totalSteps`, in epoch `epochs`. */
  | { type: 'budget'; fit: BudgetFit; totalSteps: number; epochs: number }
  | { type: 'ended'; status: Extract<RunStatus, 'completed' | 'stopped' | 'failed'>; error: string | null };

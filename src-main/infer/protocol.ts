/** Messages between Core and the inference worker process, over the fork IPC channel. */
import type { z } from 'zod';
import type { ApiError, BackendName, BackendReport, CamOptionsSchema, CheckpointName, EvalResult } from '../contract';

/** An image as the worker gets it: its bytes, or the reason Core could not read it. */
export interface JobImage {
  name: string;
  bytes?: Uint8Array;
  error?: string;
}

interface Target {
  runId: string;
  checkpoint: CheckpointName;
}

export type InferJob =
  | (Target & { kind: 'predict'; images: JobImage[]; topK: number; cam?: z.output<typeof CamOptionsSchema> })
  | (Target & { kind: 'layers' })
  | (Target & { kind: 'featureMaps'; image: JobImage; layer: string; maxChannels: number })
  | (Target & { kind: 'seWeights'; image: JobImage; block: string })
  /** How many models the worker loaded since it started, and which are cached: for tests and the System screen. */
  | { kind: 'stats' };

export type HostToInferWorker =
  | { type: 'init'; home: string; datasetRoots: string[]; maxModels: number; backend?: BackendReport['name'] }
  | { type: 'job'; id: number; job: InferJob };

export type InferWorkerToHost =
  | { type: 'ready'; backend: BackendReport }
  | { type: 'init-failed'; error: string }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: ApiError };

export interface WorkerStats {
  loads: number;
  cached: string[];
  backend: string;
}

/** Core → the evaluation process (infer/eval-process.ts): evaluate one run, then exit. */
export interface EvalRequestMessage {
  type: 'evaluate';
  home: string;
  runId: string;
  datasetRoots: string[];
  checkpoint: CheckpointName;
  backend?: BackendName;
}

export type EvalReplyMessage = { type: 'done'; result: EvalResult } | { type: 'failed'; error: string; code?: string };

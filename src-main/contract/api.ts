/**
 * The API between the renderer and the host: every method with the schema of its request and
 * response, every event, and errors as values. Transports (Electron IPC, WebSocket, in-process)
 * carry exactly these messages and nothing else.
 */
import { z } from 'zod';
import {
  DatasetInfoSchema,
  InferFeatureMapsRequestSchema,
  InferFeatureMapsResponseSchema,
  InferLayersRequestSchema,
  InferLayersResponseSchema,
  InferPredictRequestSchema,
  InferPredictResponseSchema,
  InferRunSchema,
  InferSeWeightsRequestSchema,
  InferSeWeightsResponseSchema,
  MetricEventSchema,
  RecipeSchema,
  RunDetailSchema,
  RunPlanSchema,
  RunIdSchema,
  RunStatusSchema,
  RunSummarySchema,
  SystemInfoSchema,
  AboutInfoSchema,
  TrainConfigSchema,
  AugmentOptionsSchema,
  CatalogEntryInfoSchema,
  DATASET_LIMITS,
  DatasetDetailSchema,
  DatasetIdSchema,
  DatasetImportRequestSchema,
  DatasetImportResultSchema,
  DatasetSampleSchema,
  DatasetSplitSchema,
  ImportIdSchema,
  ImportPhaseSchema,
  CheckpointNameSchema,
  EvalImagesRequestSchema,
  EvalImagesResponseSchema,
  EvalResultSchema,
  RunExportRequestSchema,
  RunExportResponseSchema,
  RunImportRequestSchema,
  RunUpdateRequestSchema,
} from './schemas';
import {
  ExperimentImportRequestSchema,
  ExperimentImportResponseSchema,
  ExperimentJobExportRequestSchema,
  ExperimentJobExportResponseSchema,
  RunJobExportRequestSchema,
  RunJobExportResponseSchema,
} from './jobs';
import { ModelInfoSchema, ModelInspectionSchema, ModelInspectRequestSchema } from './models';
import {
  BuiltinExperimentSchema,
  EXPERIMENT_LIMITS,
  ExperimentCreateRequestSchema,
  ExperimentDetailSchema,
  ExperimentIdSchema,
  ExperimentReportRequestSchema,
  ExperimentReportResponseSchema,
  ExperimentStatusSchema,
  ExperimentSummarySchema,
} from './experiments';

export const ErrorCodeSchema = z.enum([
  'invalid_request', // the request does not match its schema; `field` names the culprit
  'unknown_method',
  'not_found',
  'conflict', // e.g. stopping a run that is not running
  'unavailable', // the host cannot do it on this machine
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ApiErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  field: z.string().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const empty = z.strictObject({});
const byId = z.strictObject({ id: RunIdSchema });
const byExperimentId = z.strictObject({ id: ExperimentIdSchema });

export const methods = {
  'system.info': { request: empty, response: SystemInfoSchema },
  /** Versions, the log file and the crash-dump folder, for the About panel and bug reports. */
  'system.about': { request: empty, response: AboutInfoSchema },
  'models.list': { request: empty, response: z.array(ModelInfoSchema) },
  /** A network's layers, parameters, multiply-adds and activation memory, by a dry run (no weights). */
  'models.inspect': { request: ModelInspectRequestSchema, response: ModelInspectionSchema },
  'datasets.list': { request: empty, response: z.array(DatasetInfoSchema) },
  'runs.start': { request: TrainConfigSchema, response: RunSummarySchema },
  'runs.stop': { request: byId, response: RunSummarySchema },
  'runs.list': { request: empty, response: z.array(RunSummarySchema) },
  'runs.get': { request: byId, response: RunDetailSchema },
  /** Continues a stopped or interrupted run from its last checkpoint, on the same curve. */
  'runs.resume': { request: byId, response: RunSummarySchema },
  /** The paper recipes and their laptop-scale versions. */
  'recipes.list': { request: empty, response: z.array(RecipeSchema) },
  /** Runs with at least one checkpoint, newest first: what the Inference screen offers. */
  'infer.runs': { request: empty, response: z.array(InferRunSchema) },
  /** Top-k per image (and Grad-CAM when `cam` is set); a bad image gets its own `error`, the others still answer. */
  'infer.predict': { request: InferPredictRequestSchema, response: InferPredictResponseSchema },
  /** The loaded network's layers, the default Grad-CAM layer and its squeeze-excitation blocks. */
  'infer.layers': { request: InferLayersRequestSchema, response: InferLayersResponseSchema },
  /** One layer's activations for one image as a grid PNG. */
  'infer.featureMaps': { request: InferFeatureMapsRequestSchema, response: InferFeatureMapsResponseSchema },
  /** The channel weights a squeeze-excitation block gives one image. */
  'infer.seWeights': { request: InferSeWeightsRequestSchema, response: InferSeWeightsResponseSchema },
  // Datasets (issue 5): import with progress events and cancel, detail, samples, catalog, delete.
  'datasets.get': { request: z.strictObject({ id: DatasetIdSchema }), response: DatasetDetailSchema },
  /** Resolves when the import ends; progress arrives as `dataset.import.progress` events. */
  'datasets.import': { request: DatasetImportRequestSchema, response: DatasetImportResultSchema },
  'datasets.cancelImport': { request: z.strictObject({ importId: ImportIdSchema }), response: z.object({ cancelled: z.boolean() }) },
  'datasets.delete': { request: z.strictObject({ id: DatasetIdSchema }), response: z.object({ id: DatasetIdSchema }) },
  'datasets.samples': {
    request: z.strictObject({
      id: DatasetIdSchema,
      split: DatasetSplitSchema.default('train'),
      perClass: z.number().int().min(1).max(DATASET_LIMITS.maxSamplesPerClass).default(8),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    }),
    response: z.array(DatasetSampleSchema),
  },
  /** The original image first, then `count` augmented versions. */
  'datasets.previewAugmentation': {
    request: z.strictObject({
      id: DatasetIdSchema,
      split: DatasetSplitSchema.default('train'),
      index: z.number().int().min(0).default(0),
      augment: AugmentOptionsSchema,
      count: z.number().int().min(1).max(DATASET_LIMITS.maxPreviewCount).default(8),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    }),
    response: z.array(z.string()),
  },
  'datasets.catalog': { request: empty, response: z.array(CatalogEntryInfoSchema) },
  // Run library (issue 6): metadata, delete, evaluation, export and import.
  /** Rename, notes, tags, star; allowed while the run runs. */
  'runs.update': { request: RunUpdateRequestSchema, response: RunSummarySchema },
  /** Refused (conflict) while the run is queued or running. */
  'runs.delete': { request: byId, response: z.object({ id: RunIdSchema }) },
  /** Evaluates the best checkpoint (else the last) on the test split, in a child process; saved in runs/<id>/eval/. */
  'runs.evaluate': { request: z.strictObject({ id: RunIdSchema, checkpoint: CheckpointNameSchema.default('best') }), response: EvalResultSchema },
  /** The saved evaluation, or null when the run has none. */
  'runs.evaluation': { request: byId, response: EvalResultSchema.nullable() },
  /** The test images of one confusion cell, the most confident prediction first. */
  'runs.evalImages': { request: EvalImagesRequestSchema, response: EvalImagesResponseSchema },
  'runs.export': { request: RunExportRequestSchema, response: RunExportResponseSchema },
  /** Imports a run archive, or a run folder on the host's disk (a PyTorch job's); the run gets a new id when its id is taken. */
  'runs.import': { request: RunImportRequestSchema, response: RunSummarySchema },
  // Experiments (issue 13): N seeds × N arms over ordinary runs, statistics, the papers' ablations.
  'experiments.list': { request: empty, response: z.array(ExperimentSummarySchema) },
  /** Arms with bands, final and best metrics with 95% intervals, paired differences and the verdict. */
  'experiments.get': { request: byExperimentId, response: ExperimentDetailSchema },
  /** Creates the experiment and queues its runs (one at a time); progress comes as `experiment.status`. */
  'experiments.create': { request: ExperimentCreateRequestSchema, response: ExperimentSummarySchema },
  /** Stops the queue and the running run; `experiments.resume` continues both. */
  'experiments.stop': { request: byExperimentId, response: ExperimentSummarySchema },
  'experiments.resume': { request: byExperimentId, response: ExperimentSummarySchema },
  /** More seeds in every arm (same seeds across arms), queued at once. */
  'experiments.extend': {
    request: z.strictObject({ id: ExperimentIdSchema, seeds: z.number().int('must be a whole number').min(1).max(EXPERIMENT_LIMITS.maxSeeds) }),
    response: ExperimentSummarySchema,
  },
  /** Deletes the experiment and all its runs (running ones are stopped first). */
  'experiments.delete': { request: byExperimentId, response: z.object({ id: ExperimentIdSchema }) },
  /** The papers' ideas as ready experiments. */
  'experiments.builtin': { request: empty, response: z.array(BuiltinExperimentSchema) },
  /** An HTML report (charts as inline SVG, the table, the verdicts) or the per-run CSV. */
  'experiments.report': { request: ExperimentReportRequestSchema, response: ExperimentReportResponseSchema },
  // Beyond one machine (issue 14): a run or an experiment as PyTorch DDP jobs; their results come back by runs.import and experiments.import.
  'runs.exportJob': { request: RunJobExportRequestSchema, response: RunJobExportResponseSchema },
  /** The experiment as PyTorch jobs (one per arm and seed) with a shell script and a Slurm array file. */
  'experiments.exportJobs': { request: ExperimentJobExportRequestSchema, response: ExperimentJobExportResponseSchema },
  /** An experiment's jobs folder: every run its jobs wrote is imported, and the experiment is rebuilt around them (stopped where slots are empty). */
  'experiments.import': { request: ExperimentImportRequestSchema, response: ExperimentImportResponseSchema },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type RequestOf<M extends MethodName> = z.input<Methods[M]['request']>;
export type ParsedRequestOf<M extends MethodName> = z.output<Methods[M]['request']>;
export type ResponseOf<M extends MethodName> = z.output<Methods[M]['response']>;

export const events = {
  /** Relayed at most ~10 times a second per run; `metrics` holds every line since the last relay. */
  'run.progress': z.object({
    runId: RunIdSchema,
    epoch: z.number().int(),
    ...RunPlanSchema.shape,
    step: z.number().int(),
    imagesPerSec: z.number(),
    etaSeconds: z.number().nullable(),
    metrics: z.array(MetricEventSchema),
  }),
  'run.status': z.object({ runId: RunIdSchema, status: RunStatusSchema, error: z.string().nullable() }),
  /** At most ~10 a second per import. Downloads report bytes in done/total and name the file. */
  'dataset.import.progress': z.object({
    importId: ImportIdSchema,
    phase: ImportPhaseSchema,
    done: z.number(),
    total: z.number(),
    skipped: z.number().int(),
    file: z.string().optional(),
  }),
  /** Sent once per import, also to other windows: refresh the dataset list. */
  'dataset.import.ended': z.object({
    importId: ImportIdSchema,
    status: z.enum(['completed', 'cancelled', 'failed']),
    datasetId: DatasetIdSchema.nullable(),
    error: z.string().nullable(),
  }),
  /** An experiment's queue moved: a run started or ended, it was stopped, resumed or extended. */
  'experiment.status': z.object({
    id: ExperimentIdSchema,
    status: ExperimentStatusSchema,
    done: z.number().int(),
    total: z.number().int(),
    verdict: z.string().nullable(),
  }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventOf<E extends EventName> = z.output<Events[E]>;
export type EventMessage = { [E in EventName]: { event: E; data: EventOf<E> } }[EventName];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

/** Turns the first zod issue into an error value that names the field and what was received. */
export function errorFromZod(error: z.ZodError, input: unknown, prefix = ''): ApiError {
  const issue = error.issues[0];
  const path = [...(issue?.path ?? [])];
  if (issue?.code === 'unrecognized_keys') path.push(issue.keys[0]);
  const field = [prefix, ...path.map(String)].filter(Boolean).join('.');
  let received: unknown = input;
  for (const key of path) {
    received = received !== null && typeof received === 'object' ? (received as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  }
  const reason = issue?.code === 'unrecognized_keys' ? 'is not a known field' : lowerFirst(issue?.message ?? 'is invalid');
  const message = `${field || 'request'}: ${reason} (received ${describeValue(received)})`;
  return field ? { code: 'invalid_request', message, field } : { code: 'invalid_request', message };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return typeof value;
  }
}

/** Validates a method name and its params; what the host calls before Core sees anything. */
export function parseRequest(
  method: unknown,
  params: unknown,
): { ok: true; method: MethodName; params: unknown } | { ok: false; error: ApiError } {
  if (!isMethodName(method)) {
    return { ok: false, error: { code: 'unknown_method', message: `unknown method ${describeValue(method)}` } };
  }
  const parsed = methods[method].request.safeParse(params ?? {});
  if (!parsed.success) return { ok: false, error: errorFromZod(parsed.error, params) };
  return { ok: true, method, params: parsed.data };
}

/** The messages a socket-like transport carries (WebSocket; the IPC transport uses invoke/send). */
export const WireRequestSchema = z.object({ id: z.number().int().nonnegative(), method: z.string(), params: z.unknown().optional() });
export type WireRequest = z.infer<typeof WireRequestSchema>;
export type WireMessage =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; event: EventName; data: unknown };

/** The narrow object the Electron preload exposes as `window.cvb`; the WebSocket client offers the same. */
export interface ContractClient {
  call<M extends MethodName>(method: M, params: RequestOf<M>): Promise<Result<ResponseOf<M>>>;
  on(listener: (message: EventMessage) => void): () => void;
}

/** Where the renderer opens the WebSocket of `cvb serve`. */
export const WS_PATH = '/api/ws';

/** The name of the IPC channels in Electron: one prefix for the whole contract. */
export const IPC_CHANNEL = { call: 'cvb:call', event: 'cvb:event', pickFolder: 'cvb:pick-folder' } as const;

/**
 * The desktop-only file helpers the Electron preload exposes as `window.cvbFiles`: the path of a
 * dropped file or folder (Electron no longer puts `path` on a File) and a folder dialog. In the
 * browser it is absent, and screens ask for a typed path instead.
 */
export interface DesktopFilesBridge {
  /** The absolute path of a dropped file or folder; '' when it has none (not from the disk). */
  pathForFile(file: unknown): string;
  /** Opens a folder dialog; null when the user cancels. */
  pickFolder(): Promise<string | null>;
}

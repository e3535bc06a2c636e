/**
 * Runs: status, summary and detail, the user's metadata, checkpoints, export and import.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';
import { HostPathSchema, RunIdSchema } from './ids';
import { BestMetricSchema, FinalMetricsSchema, MetricEventSchema, TestMetricsSchema } from './metrics';
import { ModelOptionsSchema } from './models';
import { RecordedTrainConfigSchema } from './training-config';

export const RunStatusSchema = z.enum(['queued', 'running', 'completed', 'stopped', 'failed', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** Queued or running: a worker owns the run's folder, and the run has not ended. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];

export function isActiveStatus(status: RunStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** What the user adds to a run on the Runs screen (issue 6). */
export const RUN_META_LIMITS = { name: 120, notes: 10_000, tag: 40, tags: 20 } as const;
export const RunTagSchema = z
  .string()
  .trim()
  .min(1, 'a tag cannot be empty')
  .max(RUN_META_LIMITS.tag)
  .regex(/^[^,\n\r\t]+$/, 'a tag cannot hold commas, tabs or line breaks');
export const RunMetaSchema = z.object({
  /** Shown instead of the id when set. */
  name: z.string().max(RUN_META_LIMITS.name).nullable(),
  notes: z.string().max(RUN_META_LIMITS.notes),
  tags: z.array(RunTagSchema).max(RUN_META_LIMITS.tags),
  starred: z.boolean(),
});
export type RunMeta = z.infer<typeof RunMetaSchema>;

/**
 * What a run with a time budget (`maxMinutes`) fitted after measuring its first steps: the steps
 * that fit, and the factor its schedule was scaled by (fitted / planned steps; 1 when the planned
 * run fits in the budget).
 */
export const BudgetFitSchema = z.object({
  maxMinutes: z.number().gt(0),
  /** Steps timed to measure the speed (after the first, which builds the graph). */
  calibrationSteps: z.number().int().min(1),
  secondsPerStep: z.number().min(0),
  /** What a validation pass was expected to take, in seconds, from the same speed. */
  validationSeconds: z.number().min(0),
  plannedSteps: z.number().int().min(1),
  fittedSteps: z.number().int().min(1),
  /** fittedSteps / plannedSteps, at most 1: epochs-based milestones and warm-up shrink by it. */
  scheduleScale: z.number().gt(0).max(1),
  /**
   * Present when the fit was made again at an epoch's end, from the speed of the steps since the
   * last fit or the last validation (the first steps of a run are the slowest), in the first third
   * of the run: the step it was last remade at.
   */
  refitStep: z.number().int().min(1).optional(),
});
export type BudgetFit = z.infer<typeof BudgetFitSchema>;

export const RunSummarySchema = z.object({
  id: RunIdSchema,
  model: z.string(),
  dataset: z.string(),
  status: RunStatusSchema,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  backend: z.string().nullable(),
  /** Threads the run computed with, as its backend reported (absent before it started, or when the library picks its own). */
  threads: z.number().int().min(1).optional(),
  epochsDone: z.number().int(),
  steps: z.number().int(),
  final: FinalMetricsSchema,
  error: z.string().nullable(),
  /** Set when run.json could not be read; the run is listed so it does not hide the others. */
  damaged: z.string().nullable(),
  // User metadata and results (issue 6); optional so that older hosts and fixtures still parse.
  name: RunMetaSchema.shape.name.optional(),
  notes: RunMetaSchema.shape.notes.optional(),
  tags: RunMetaSchema.shape.tags.optional(),
  starred: z.boolean().optional(),
  best: BestMetricSchema.nullable().optional(),
  test: TestMetricsSchema.nullable().optional(),
  /** The switches the run set (its config's modelOptions), so a list can tell runs of one model apart. */
  modelOptions: ModelOptionsSchema.optional(),
  /** A run with a time budget: what was fitted to it (absent until it is measured). */
  budget: BudgetFitSchema.optional(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/**
 * How far a running run will go, as its worker planned it (a time budget can change the config's
 * epochs and steps); its progress events carry the same numbers.
 */
export const RunPlanSchema = z.object({
  /** The epoch the run ends in. */
  epochs: z.number().int(),
  stepsPerEpoch: z.number().int(),
  totalSteps: z.number().int(),
  /** Threads the run computes with, once its backend has started (absent where the library picks its own). */
  threads: z.number().int().min(1).optional(),
});
export type RunPlan = z.infer<typeof RunPlanSchema>;

export const RunDetailSchema = RunSummarySchema.extend({
  config: RecordedTrainConfigSchema.nullable(),
  metrics: z.array(MetricEventSchema),
  /** A run this workbench is training now, once its worker has planned it. */
  plan: RunPlanSchema.optional(),
});
export type RunDetail = z.infer<typeof RunDetailSchema>;

/** Which saved weights of a run: the best by the run's monitored metric, or the latest. */
export const CheckpointNameSchema = z.enum(['best', 'last']);
export type CheckpointName = z.infer<typeof CheckpointNameSchema>;

export const RunUpdateRequestSchema = z.strictObject({
  id: RunIdSchema,
  /** null or an empty string clears the name (the id shows again). */
  name: z.string().trim().max(RUN_META_LIMITS.name).nullable().optional(),
  notes: z.string().max(RUN_META_LIMITS.notes).optional(),
  tags: z.array(RunTagSchema).max(RUN_META_LIMITS.tags).optional(),
  starred: z.boolean().optional(),
});
export type RunUpdateRequest = z.input<typeof RunUpdateRequestSchema>;

/**
 * What to export: the model in TF.js layers format (model.json, weights.bin, labels.json,
 * preprocessing.json), the metrics as CSV, or the whole run folder as a .tar.gz another
 * workbench imports.
 */
export const RunExportKindSchema = z.enum(['model', 'metrics', 'archive']);
export type RunExportKind = z.infer<typeof RunExportKindSchema>;

/** Inline answers stay under the WebSocket message limit (16 MiB), with room for base64. */
export const EXPORT_INLINE_MAX_BYTES = 11 * 1024 * 1024;

export const RunExportRequestSchema = z.strictObject({
  id: RunIdSchema,
  kind: RunExportKindSchema,
  checkpoint: CheckpointNameSchema.default('best'),
  /** Also send the files' bytes (base64) for the renderer to download; refused above EXPORT_INLINE_MAX_BYTES. */
  inline: z.boolean().default(false),
});

export const RunExportResponseSchema = z.object({
  /** Where the export was written on the host (a folder for a model, else a file). */
  path: z.string(),
  bytes: z.number().int(),
  /** With `inline`: each file's name and base64 bytes. */
  files: z.array(z.object({ name: z.string(), data: z.string() })).optional(),
});
export type RunExportResponse = z.infer<typeof RunExportResponseSchema>;

export const RunImportRequestSchema = z.strictObject({
  source: z.union([
    /** An archive on the host's disk (the desktop app, the CLI). */
    z.strictObject({ path: HostPathSchema }),
    /** The archive's bytes, base64 (browser mode). */
    z.strictObject({ data: z.string().min(1).max(Math.ceil(EXPORT_INLINE_MAX_BYTES / 3) * 4) }),
  ]),
});

/**
 * Experiments (issue 13): one base configuration, one varied switch or hyperparameter with 2–6
 * values (arms), N seeds per arm, the same data order per seed across arms (paired design). Its
 * runs are ordinary runs tagged with the experiment's id. Pure zod.
 */
import { z } from 'zod';
import { SwitchValueSchema } from './models';
import { RunIdSchema, RunStatusSchema, TrainConfigSchema } from './schemas';

export const EXPERIMENT_LIMITS = { minArms: 2, maxArms: 6, maxSeeds: 50, defaultSeeds: 3 } as const;

/** Experiment ids are made by the host (`exp-20261205-081500-3fa2`): short enough to be a run tag. */
export const EXPERIMENT_ID_PATTERN = /^exp-[a-z0-9-]{1,36}$/;
export const ExperimentIdSchema = z.string().regex(EXPERIMENT_ID_PATTERN, 'must be an experiment id ("exp-" then lowercase letters, digits and "-")');

/** The metric an experiment compares its arms by: the value at the run's last epoch. */
export const ExperimentMetricSchema = z.enum(['valAccuracy', 'valLoss', 'trainAccuracy', 'trainLoss']);
export type ExperimentMetric = z.infer<typeof ExperimentMetricSchema>;

/** Whether a larger value of the metric is better. */
export function higherIsBetter(metric: ExperimentMetric): boolean {
  return metric.endsWith('Accuracy');
}

/**
 * The training fields an experiment may vary directly; any other name is one of the network's
 * switches (activation, batchNorm, dropout, se, residual, cardinality, ...).
 */
export const VARIABLE_CONFIG_FIELDS = [
  'model',
  'learningRate',
  'batchSize',
  'epochs',
  'optimizer',
  'momentum',
  'weightDecay',
  'labelSmoothing',
  'auxLossWeight',
  'warmupEpochs',
  'gradClipNorm',
] as const;

export const ExperimentVarySchema = z.strictObject({
  /** A training field from VARIABLE_CONFIG_FIELDS or a switch of the network. */
  field: z.string().trim().min(1, 'name the switch or hyperparameter to vary').max(64),
  values: z
    .array(SwitchValueSchema)
    .min(EXPERIMENT_LIMITS.minArms, `give ${EXPERIMENT_LIMITS.minArms} to ${EXPERIMENT_LIMITS.maxArms} values`)
    .max(EXPERIMENT_LIMITS.maxArms, `give ${EXPERIMENT_LIMITS.minArms} to ${EXPERIMENT_LIMITS.maxArms} values`)
    .refine((values) => new Set(values.map((v) => JSON.stringify(v))).size === values.length, 'values must differ from each other'),
});
export type ExperimentVary = z.infer<typeof ExperimentVarySchema>;

const SeedsSchema = z.number().int('must be a whole number').min(1).max(EXPERIMENT_LIMITS.maxSeeds);

/** `experiments.create`: a built-in paper experiment, or a base (a run's config or a whole config) and what to vary. */
export const ExperimentCreateRequestSchema = z.strictObject({
  /** A built-in paper experiment (`experiments.builtin`); `vary`, `base` and `baseRunId` must then be absent. */
  builtin: z.string().trim().min(1).max(64).optional(),
  /** Start from this run's configuration. */
  baseRunId: RunIdSchema.optional(),
  base: TrainConfigSchema.optional(),
  vary: ExperimentVarySchema.optional(),
  seeds: SeedsSchema.default(EXPERIMENT_LIMITS.defaultSeeds),
  /** Caps every run's optimizer steps (quick looks and tests). */
  maxSteps: z.number().int('must be a whole number').min(1).max(10_000_000).optional(),
  metric: ExperimentMetricSchema.optional(),
  name: z.string().trim().min(1).max(100).optional(),
});
export type ExperimentCreateRequest = z.input<typeof ExperimentCreateRequestSchema>;

/** A claim of the paper about two arms: `better` beats `worse` on the experiment's metric. */
export const PaperClaimSchema = z.object({
  better: SwitchValueSchema,
  worse: SwitchValueSchema,
  /** The claim in one sentence, in English and Simplified Chinese. */
  en: z.string(),
  zhCN: z.string(),
});
export type PaperClaim = z.infer<typeof PaperClaimSchema>;

/** The paper's own figure for the same comparison, where it reports one. */
export const PaperFigureSchema = z.object({
  source: z.string(),
  /** What the paper measured, per arm value (e.g. "CIFAR-10 test error 8.75%"). */
  values: z.array(z.object({ value: SwitchValueSchema, result: z.string() })),
});

export const BuiltinExperimentSchema = z.object({
  name: z.string(),
  title: z.string(),
  titleZhCN: z.string(),
  /** The idea, by paper ("AlexNet", "VGG", ...). */
  family: z.string(),
  paper: z.string(),
  vary: z.object({ field: z.string(), values: z.array(SwitchValueSchema) }),
  claims: z.array(PaperClaimSchema),
  figure: PaperFigureSchema.nullable(),
  /** The laptop-scale recipe in words (model, data, epochs, what departs from the paper). */
  recipe: z.string(),
  /** Runs at the default seed count. */
  runs: z.number().int(),
});
export type BuiltinExperiment = z.infer<typeof BuiltinExperimentSchema>;

export const ExperimentStatusSchema = z.enum(['queued', 'running', 'stopped', 'completed', 'failed']);
export type ExperimentStatus = z.infer<typeof ExperimentStatusSchema>;

const Interval = z.tuple([z.number(), z.number()]);

export const ArmStatsSchema = z.object({
  metric: ExperimentMetricSchema,
  /** Per seed, in seed order; null where that seed's run has no value yet. */
  values: z.array(z.number().nullable()),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  ci95: Interval.nullable(),
});
export type ArmStats = z.infer<typeof ArmStatsSchema>;

/** Mean and standard deviation across seeds of one curve, point by point (the band of a chart). */
export const BandSchema = z.object({
  /** Optimizer step (step curves) or epoch (epoch curves). */
  x: z.array(z.number()),
  mean: z.array(z.number()),
  std: z.array(z.number()),
  /** Seeds that reached each point. */
  n: z.array(z.number().int()),
});
export type Band = z.infer<typeof BandSchema>;

export const ArmResultSchema = z.object({
  value: SwitchValueSchema,
  /** The arm's runs in seed order (started ones). */
  runs: z.array(RunIdSchema),
  statuses: z.array(RunStatusSchema),
  final: ArmStatsSchema,
  best: ArmStatsSchema,
  curves: z.object({ trainLoss: BandSchema, trainAccuracy: BandSchema, valLoss: BandSchema, valAccuracy: BandSchema }),
});
export type ArmResult = z.infer<typeof ArmResultSchema>;

/**
 * The verdict in parts, so that each language can say it: `kind` 'better'/'worse' when the interval
 * of `arm − baseline` excludes zero, 'noise' when it holds zero, 'pending' with fewer than two pairs.
 */
export const VerdictSchema = z.object({
  kind: z.enum(['better', 'worse', 'noise', 'pending']),
  arm: SwitchValueSchema,
  baseline: SwitchValueSchema,
  /** |estimate| and the interval's half-width, in points for accuracies (×100). */
  magnitude: z.number().nullable(),
  halfWidth: z.number().nullable(),
  unit: z.enum(['points', 'loss']),
  /** "after 3 epochs" or "after 200 steps". */
  after: z.object({ epochs: z.number().int().nullable(), steps: z.number().int().nullable() }),
  pairs: z.number().int(),
  /** Against the paper's claim about these two arms; null when the paper makes none. */
  paper: z.enum(['agrees', 'disagrees', 'unconfirmed']).nullable(),
  claim: PaperClaimSchema.nullable(),
  /** The whole sentence in English. */
  sentence: z.string(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

export const DifferenceSchema = z.object({
  metric: ExperimentMetricSchema,
  /** `arm − baseline`, paired by seed. */
  arm: SwitchValueSchema,
  baseline: SwitchValueSchema,
  estimate: z.number().nullable(),
  ci95: Interval.nullable(),
  method: z.enum(['t', 'bootstrap', 'none']),
  pairs: z.number().int(),
  p: z.number().nullable(),
  verdict: z.string(),
  details: VerdictSchema,
});
export type Difference = z.infer<typeof DifferenceSchema>;

export const ExperimentSummarySchema = z.object({
  id: ExperimentIdSchema,
  name: z.string(),
  builtin: z.string().nullable(),
  model: z.string(),
  dataset: z.string(),
  status: ExperimentStatusSchema,
  createdAt: z.string(),
  vary: z.object({ field: z.string(), values: z.array(SwitchValueSchema) }),
  seeds: z.number().int(),
  metric: ExperimentMetricSchema,
  /** Runs completed (or ended otherwise) out of arms × seeds. */
  done: z.number().int(),
  total: z.number().int(),
  /** The headline verdict sentence, when there is one. */
  verdict: z.string().nullable(),
  /** Why the queue stopped, when it could not start a run. */
  error: z.string().nullable(),
});
export type ExperimentSummary = z.infer<typeof ExperimentSummarySchema>;

/** `experiments.get` and `cvb experiment show ID --json`. */
export const ExperimentDetailSchema = ExperimentSummarySchema.extend({
  base: TrainConfigSchema,
  arms: z.array(ArmResultSchema),
  /** The headline comparison: the paper's first claim, else the arm furthest from the first arm. */
  difference: DifferenceSchema.nullable(),
  /** Every arm against the first, and every claim of the paper. */
  differences: z.array(DifferenceSchema),
  claims: z.array(PaperClaimSchema),
  figure: PaperFigureSchema.nullable(),
});
export type ExperimentDetail = z.infer<typeof ExperimentDetailSchema>;

export const ExperimentReportRequestSchema = z.strictObject({
  id: ExperimentIdSchema,
  /** 'html': one file with the charts (inline SVG) and the table; 'csv': the per-run table. */
  format: z.enum(['html', 'csv']).default('html'),
  /** Also send the file's bytes (base64) for the renderer to download. */
  inline: z.boolean().default(false),
});

export const ExperimentReportResponseSchema = z.object({
  path: z.string(),
  bytes: z.number().int(),
  files: z.array(z.object({ name: z.string(), data: z.string() })).optional(),
});

/**
 * What a run is asked to do: the training configuration, its schedules, early stopping and augmentation.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';
import { BUNDLED_DATASET_ID, DatasetIdSchema } from './ids';
import { ruleIssue, whenValid } from './rules';
import { BackendNameSchema } from './system';

/** Hard limits a request may not exceed; the UI shows them next to the fields. */
export const LIMITS = {
  maxEpochs: 1000,
  maxBatchSize: 4096,
  maxLearningRate: 10,
  maxSteps: 10_000_000,
  maxThreads: 256,
  /** A day. */
  maxCheckpointMinutes: 1440,
  /** A week. */
  maxMinutes: 10_080,
} as const;

export const OptimizerNameSchema = z.enum(['sgd', 'momentum', 'adam', 'adamw', 'rmsprop']);
export type OptimizerName = z.infer<typeof OptimizerNameSchema>;

/**
 * Learning-rate schedules. Epoch-based ones (step, multistep) change the rate at epoch boundaries as
 * PyTorch's StepLR/MultiStepLR do; cosine and one-cycle change it every step. `warmupEpochs` (a
 * separate field) ramps the rate linearly from near zero before any of them except one-cycle,
 * which has its own warm-up phase.
 */
export const ScheduleSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('constant') }),
  /** Multiply the rate by `gamma` every `stepEpochs` epochs (AlexNet-style /10, GoogLeNet's 4% every 8 epochs). */
  z.strictObject({
    type: z.literal('step'),
    stepEpochs: z.number().int('must be a whole number').min(1).max(LIMITS.maxEpochs),
    gamma: z.number().gt(0).max(1).default(0.1),
  }),
  /** Multiply the rate by `gamma` at each milestone epoch (ResNet: /10 at epochs 82 and 123 of 164). */
  z.strictObject({
    type: z.literal('multistep'),
    milestones: z.array(z.number().int('must be a whole number').min(1).max(LIMITS.maxEpochs)).min(1).max(32),
    gamma: z.number().gt(0).max(1).default(0.1),
  }),
  /** Half a cosine from the base rate down to `minLearningRate` over the run's steps (after warm-up). */
  z.strictObject({ type: z.literal('cosine'), minLearningRate: z.number().min(0).default(0) }),
  /**
   * Smith's one-cycle, as PyTorch's OneCycleLR (cosine both ways): from base/divFactor up to the base
   * rate over `pctStart` of the steps, then down to base/(divFactor·finalDivFactor).
   */
  z.strictObject({
    type: z.literal('onecycle'),
    pctStart: z.number().gt(0).lt(1).default(0.3),
    divFactor: z.number().min(1).default(25),
    finalDivFactor: z.number().min(1).default(1e4),
  }),
]);
export type Schedule = z.output<typeof ScheduleSchema>;
export type ScheduleInput = z.input<typeof ScheduleSchema>;

export const MonitoredMetricSchema = z.enum(['valLoss', 'valAccuracy']);
export type MonitoredMetric = z.infer<typeof MonitoredMetricSchema>;

/** Stops a run when the monitored metric has not improved by `minDelta` for `patience` epochs. */
export const EarlyStoppingSchema = z.strictObject({
  patience: z.number().int('must be a whole number').min(1).max(LIMITS.maxEpochs),
  metric: MonitoredMetricSchema.default('valLoss'),
  minDelta: z.number().min(0).default(0),
});

/** The recipe a run started from, and which of its fields the user changed. */
export const PresetRefSchema = z.strictObject({
  name: z.string().min(1).max(100),
  changed: z.array(z.string().max(100)).max(100).default([]),
});

/**
 * A run's configuration as recorded in run.json: the fields without the rules between them, so a
 * run recorded before a rule existed still opens, resumes and predicts.
 */
export const RecordedTrainConfigSchema = z.strictObject({
  model: z.string().trim().min(1, 'choose a model'),
  dataset: DatasetIdSchema.default(BUNDLED_DATASET_ID),
  epochs: z.number().int('must be a whole number').min(1).max(LIMITS.maxEpochs),
  batchSize: z.number().int('must be a whole number').min(1).max(LIMITS.maxBatchSize),
  learningRate: z
    .number()
    .gt(0, 'must be greater than 0')
    .max(LIMITS.maxLearningRate, `must be at most ${LIMITS.maxLearningRate}`),
  optimizer: OptimizerNameSchema.default('adam'),
  /** Ends the run after this many optimizer steps (smoke tests, quick looks). */
  maxSteps: z.number().int('must be a whole number').min(1).max(LIMITS.maxSteps).optional(),
  /**
   * A time budget in minutes (fractions allowed): after its first steps the run measures its speed
   * and, when the planned steps would take longer, trains only as many whole epochs as fit, its
   * schedule (milestones, warm-up, cosine, one-cycle) scaled to that length. Never longer than
   * `epochs` and `maxSteps` ask; the run record's `budget` says what was fitted.
   */
  maxMinutes: z.number().gt(0, 'must be greater than 0').max(LIMITS.maxMinutes, `must be at most ${LIMITS.maxMinutes}`).optional(),
  /** Fraction of the training split held out for validation each epoch. */
  validationFraction: z.number().min(0).max(0.5).default(0.1),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  backend: BackendNameSchema.optional(),
  /** The network's switches (activation, batchNorm, se, smallInput, widthMultiplier, ...); the zoo checks them. */
  modelOptions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** SGD momentum; default 0 for 'sgd', 0.9 for 'momentum', 0 for 'rmsprop' (its momentum term). */
  momentum: z.number().min(0).lt(1).optional(),
  /** Nesterov momentum for 'sgd' and 'momentum' (needs a momentum above 0). */
  nesterov: z.boolean().default(false),
  /**
   * Weight decay: L2 added to the gradient for sgd, momentum, adam and rmsprop (PyTorch's
   * `weight_decay`); decoupled (w ← w − lr·wd·w, Loshchilov & Hutter) for adamw. Default 0, and
   * 0.01 for adamw (PyTorch's default).
   */
  weightDecay: z.number().min(0).max(1).optional(),
  /** Also decay batch-norm parameters and biases (off by default, as in timm and most recipes). */
  decayNormAndBias: z.boolean().default(false),
  /** Epsilon of adam, adamw and rmsprop (Inception v3 used RMSProp with ε = 1). */
  epsilon: z.number().gt(0).max(10).optional(),
  schedule: ScheduleSchema.default({ type: 'constant' }),
  /** Linear warm-up from lr/(steps of warm-up) to lr over this many epochs (fractions allowed). */
  warmupEpochs: z.number().min(0).max(100).default(0),
  /** Label smoothing ε: targets become (1 − ε)·one-hot + ε/classes (Inception v3: 0.1). */
  labelSmoothing: z.number().min(0).lt(1).default(0),
  /** Weight of each auxiliary head's loss; default the model's own (GoogLeNet 0.3). */
  auxLossWeight: z.number().min(0).max(10).optional(),
  /** Clip gradients to this global L2 norm (off when absent). */
  gradClipNorm: z.number().gt(0).max(1e6).optional(),
  earlyStopping: EarlyStoppingSchema.optional(),
  /** The metric the best checkpoint is chosen by; default the early-stopping metric, else valAccuracy. */
  bestMetric: MonitoredMetricSchema.optional(),
  preset: PresetRefSchema.optional(),
  /** Also record each layer's gradient norm every step ('grads' metric events). */
  perLayerGradNorms: z.boolean().default(false),
  /** Augmentation of training batches (validation batches are never augmented). */
  augmentation: z.lazy(() => AugmentOptionsSchema).optional(),
  /**
   * Threads the run computes with (on wasm, XNNPACK's pool, the training thread included). Absent:
   * the machine's physical cores minus one left for the UI, at least 1; the run record says which.
   * Results do not depend on it (each output is computed whole by one thread).
   */
  threads: z.number().int('must be a whole number').min(1).max(LIMITS.maxThreads).optional(),
  /**
   * Split each batch across the threads instead of each operation (data-parallel: one replica of the
   * model per thread, gradients summed in a fixed order). Faster on wasm, where much of a step runs on
   * one thread; each share normalizes with its own batch statistics, so results differ from one
   * thread's (and depend on the thread count, never on timing).
   */
  dataParallel: z.boolean().default(false),
  /**
   * Minutes between checkpoints inside an epoch (fractions allowed; 0: only at epoch ends and at a
   * stop), so a killed run loses at most this much. The loop turns it into a step count.
   */
  checkpointMinutes: z.number().min(0).max(LIMITS.maxCheckpointMinutes).default(5),
});

/**
 * How a batch of `count` images is cut across `parts` threads when it is split (`dataParallel`): as
 * equal as can be, the larger shares first (65 in 2: 33 and 32). A batch smaller than `parts` leaves
 * shares empty.
 */
export function shareSizes(count: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(count / parts) + (i < count % parts ? 1 : 0));
}

/**
 * Below this many images a share, a split batch hurts twice: each share's batch-norm statistics get
 * noisy (Wu and He's Group Normalization paper measures batch norm's error rising as the batch per
 * worker falls under 16) and a thread's speed per image drops with the smaller operations. The Train
 * form warns under it.
 */
export const SMALL_SHARE = 16;

/** Which optimizers read which optimizer-specific field; the others would ignore it. */
export const OPTIMIZER_FIELDS: Record<'momentum' | 'nesterov' | 'epsilon', readonly OptimizerName[]> = {
  momentum: ['sgd', 'momentum', 'rmsprop'],
  nesterov: ['sgd', 'momentum'],
  epsilon: ['adam', 'adamw', 'rmsprop'],
};

/** The momentum an optimizer runs with: the config's, else 0.9 for 'momentum' and 0 for the others (PyTorch's SGD). */
export function momentumOf(config: { optimizer?: OptimizerName; momentum?: number }): number {
  return config.momentum ?? (config.optimizer === 'momentum' ? 0.9 : 0);
}

/**
 * `config` without the optimizer-specific fields `optimizer` does not read: what a recipe keeps
 * when the user picks another optimizer (a momentum recipe run with Adam drops momentum and Nesterov).
 */
export function withoutUnreadOptimizerFields<T extends Partial<Record<keyof typeof OPTIMIZER_FIELDS, unknown>>>(config: T, optimizer: OptimizerName): T {
  const kept = { ...config };
  for (const [field, readers] of Object.entries(OPTIMIZER_FIELDS)) if (!readers.includes(optimizer)) delete kept[field as keyof typeof OPTIMIZER_FIELDS];
  return kept;
}

/** What a user chooses on the Train screen or with `cvb train` (and `runs.start` accepts). */
export const TrainConfigSchema = RecordedTrainConfigSchema.superRefine((config, ctx) => {
  if (!config.nesterov) return;
  if (!OPTIMIZER_FIELDS.nesterov.includes(config.optimizer)) {
    ctx.addIssue(ruleIssue('nesterovOptimizer', ['nesterov'], `only ${OPTIMIZER_FIELDS.nesterov.join(' and ')} use Nesterov momentum, not ${config.optimizer}`, config.nesterov));
  } else if (!(momentumOf(config) > 0)) {
    ctx.addIssue(ruleIssue('nesterovNeedsMomentum', ['nesterov'], `needs a momentum above 0; ${config.optimizer} runs without momentum unless one is set`, config.nesterov));
  }
}, whenValid('optimizer', 'momentum', 'nesterov'));
export type TrainConfig = z.output<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

/** The starting point of the Train screen and of `cvb train`: the bundled dataset, a short run. */
export const DEFAULT_TRAIN_CONFIG = {
  model: 'resnet20',
  dataset: BUNDLED_DATASET_ID,
  epochs: 5,
  batchSize: 64,
  learningRate: 0.001,
  optimizer: 'adam',
} as const satisfies TrainConfigInput;

/** A [min, max] range must not be given the other way round. */
function orderedPair<K extends string>(key: K) {
  return (value: Record<K, readonly [number, number]>, ctx: z.RefinementCtx<Record<K, readonly [number, number]>>) => {
    const [min, max] = value[key];
    if (min > max) ctx.addIssue(ruleIssue('rangeOrder', [key], `the first number (${min}) cannot be larger than the second (${max})`, value[key]));
  };
}

/** Bounds of the augmentation fields that the forms show next to their inputs. */
export const AUGMENT_LIMITS = { maxCropPadding: 64 } as const;

export const AugmentOptionsSchema = z.strictObject({
  randomCrop: z.strictObject({ padding: z.number().int().min(0).max(AUGMENT_LIMITS.maxCropPadding) }).optional(),
  horizontalFlip: z.boolean().optional(),
  randomResizedCrop: z
    .strictObject({
      scale: z.tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)]),
      ratio: z.tuple([z.number().gt(0).max(10), z.number().gt(0).max(10)]),
    })
    .superRefine(orderedPair('scale'), whenValid('scale'))
    .superRefine(orderedPair('ratio'), whenValid('ratio'))
    .optional(),
  colorJitter: z
    .strictObject({ brightness: z.number().min(0).max(1).optional(), contrast: z.number().min(0).max(1).optional(), saturation: z.number().min(0).max(1).optional() })
    .optional(),
});
export type AugmentOptionsInput = z.infer<typeof AugmentOptionsSchema>;

/**
 * Where each augmentation starts when it is switched on: the CIFAR papers' 4-pixel padded crop,
 * torchvision's RandomResizedCrop scale and ratio, and a ±40% colour jitter (timm's default). The
 * Train form, the augmentation preview and the recipes all start from these.
 */
export const AUGMENT_DEFAULTS = {
  randomCrop: { padding: 4 },
  horizontalFlip: true,
  randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
  colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4 },
} satisfies Required<AugmentOptionsInput>;

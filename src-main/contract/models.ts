/**
 * The model zoo in the contract: each variant's switches (so a form can be generated from them)
 * and `models.inspect`, the dry run that gives a network's layers, parameters, multiply-adds and
 * activation memory for an input size, a class count and a set of switches. Pure zod.
 */
import { z } from 'zod';

export const MODEL_LIMITS = {
  /** Largest side of an inspected input; the dry run is shape arithmetic, so this only keeps numbers sane. */
  maxInputSide: 4096,
  maxChannels: 64,
  maxClasses: 100_000,
  maxBatchSize: 4096,
} as const;

/** A switch's value as a request carries it (TrainConfig.modelOptions uses the same union). */
export const SwitchValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type SwitchValue = z.infer<typeof SwitchValueSchema>;

export const ModelOptionsSchema = z.record(z.string().min(1).max(64), SwitchValueSchema);
export type ModelOptions = z.infer<typeof ModelOptionsSchema>;

/** One switch a variant accepts: its kind, its default for that variant and, for numbers, the range. */
export const SwitchSpecSchema = z.union([
  z.object({ kind: z.literal('boolean'), default: z.boolean(), description: z.string() }),
  z.object({
    kind: z.enum(['number', 'integer']),
    default: z.number(),
    min: z.number(),
    max: z.number(),
    /** The value must be strictly above `min` (a width multiplier of 0 makes no network). */
    minExclusive: z.boolean().optional(),
    description: z.string(),
  }),
  z.object({ kind: z.literal('choice'), default: z.string(), choices: z.array(z.string()), description: z.string() }),
]);
export type SwitchSpec = z.infer<typeof SwitchSpecSchema>;

const side = z.number().int('must be a whole number').min(1).max(MODEL_LIMITS.maxInputSide);

/** A square side (channels from the variant's default input) or [height, width, channels]. */
export const InspectInputSchema = z.union([side, z.tuple([side, side, z.number().int('must be a whole number').min(1).max(MODEL_LIMITS.maxChannels)])]);

export const ModelInspectRequestSchema = z.strictObject({
  name: z.string().trim().min(1, 'choose a model').max(100),
  /** Default: the variant's own input (224×224×3, 299×299×3 for inception_v3, 32×32×3 for the small ones). */
  input: InspectInputSchema.optional(),
  classes: z.number().int('must be a whole number').min(1).max(MODEL_LIMITS.maxClasses).optional(),
  /** Multiplies the activation memory. */
  batchSize: z.number().int('must be a whole number').min(1).max(MODEL_LIMITS.maxBatchSize).default(1),
  /** The variant's switches; anything left out keeps the variant's default. */
  options: ModelOptionsSchema.default({}),
});
export type ModelInspectRequest = z.input<typeof ModelInspectRequestSchema>;

export const InspectedLayerSchema = z.object({
  name: z.string(),
  type: z.string(),
  /** Per image: height × width × channels, or [units]. */
  outputShape: z.array(z.number().int()),
  /** Every weight of the layer (batch normalization's moving statistics included). */
  params: z.number().int(),
  trainableParams: z.number().int(),
  /** Multiply-adds for one image (convolutions and dense layers). */
  macs: z.number(),
  /** Side, in input pixels, of the window one output unit sees. */
  receptiveField: z.number(),
});
export type InspectedLayer = z.infer<typeof InspectedLayerSchema>;

export const ModelInspectionSchema = z.object({
  name: z.string(),
  family: z.string(),
  input: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  classes: z.number().int(),
  batchSize: z.number().int(),
  /** The switches as the network was traced: the request's, with the variant's defaults for the rest. */
  options: ModelOptionsSchema,
  params: z.object({ trainable: z.number().int(), nonTrainable: z.number().int() }),
  /**
   * The parameters of the graph a run trains: more than `params` when auxiliary classifiers are on
   * (GoogLeNet, Inception v3), which exist only while training; equal to `params` otherwise.
   */
  trainingParams: z.object({ trainable: z.number().int(), nonTrainable: z.number().int() }),
  /** Multiply-adds of convolutions and dense layers for one image. */
  macs: z.number(),
  /** float32 bytes of every layer's output for `batchSize` images (forward pass, no gradients). */
  activationBytes: z.number(),
  layers: z.array(InspectedLayerSchema),
});
export type ModelInspection = z.infer<typeof ModelInspectionSchema>;

export const ModelInfoSchema = z.object({
  name: z.string(),
  family: z.string(),
  input: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  classes: z.number().int(),
  params: z.number().int(),
  description: z.string(),
  /** The paper that introduced the variant ("He et al., ..., CVPR 2016"). */
  paper: z.string().optional(),
  /** The switches the variant accepts and their defaults (the Models screen builds its form from them). */
  switches: z.record(z.string(), SwitchSpecSchema).optional(),
  /** Models with auxiliary classifiers: how many, and their default loss weight. */
  auxOutputs: z.object({ count: z.number().int(), defaultWeight: z.number() }).optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

/**
 * Inference on a run's checkpoint: predictions, Grad-CAM, layers, feature maps and SE weights.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';
import { HostPathSchema, RunIdSchema } from './ids';
import { CheckpointNameSchema, RunStatusSchema } from './runs';

/** Limits of the inference methods; the renderer downscales or refuses before sending more. */
export const INFER_LIMITS = {
  imagesPerRequest: 32,
  /** Bytes of one image file, read from a path or sent base64-encoded. */
  imageBytes: 12 * 1024 * 1024,
  /** Decoded pixels of one image; a bigger one is refused before decoding (decompression bombs). */
  imagePixels: 50_000_000,
  topK: 20,
  featureChannels: 256,
} as const;


/** Zoo layer names (`conv3_block2_1_conv`): letters, digits and `_ - . /`. */
export const LayerNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_./-]+$/, 'must be a layer name (letters, digits, "_", "-", ".", "/")');

const ImageNameSchema = z.string().min(1).max(1024);
/**
 * One image: a file on the host's disk (the CLI, a file dropped in the desktop app; in browser mode
 * only inside the server's data roots), or its bytes, base64-encoded.
 */
export const InferImageSchema = z.union([
  z.strictObject({ name: ImageNameSchema, path: HostPathSchema }),
  z.strictObject({
    name: ImageNameSchema,
    data: z.string().max(Math.ceil(INFER_LIMITS.imageBytes / 3) * 4, `must be at most ${INFER_LIMITS.imageBytes / 1024 / 1024} MiB of image data`),
  }),
]);
export type InferImage = z.infer<typeof InferImageSchema>;

const inferTarget = {
  runId: RunIdSchema,
  /** When the run has no best checkpoint (no validation yet), its last one answers; the response says which. */
  checkpoint: CheckpointNameSchema.default('best'),
};

/** Grad-CAM (Selvaraju et al., 2017): which class, at which layer, and in what form. */
export const CamOptionsSchema = z.strictObject({
  /** Default: the predicted class. */
  classIndex: z.number().int().min(0).max(100_000).optional(),
  /** Default: the last layer whose output is spatial and that a convolution feeds. */
  layer: LayerNameSchema.optional(),
  /** 'heatmap': the values for the renderer to blend; 'overlay': a PNG of the image under the heatmap. */
  output: z.enum(['heatmap', 'overlay', 'both']).default('heatmap'),
  /** The heatmap's opacity in the overlay PNG. */
  opacity: z.number().min(0).max(1).default(0.5),
});

export const InferPredictRequestSchema = z.strictObject({
  ...inferTarget,
  images: z.array(InferImageSchema).min(1, 'give at least one image').max(INFER_LIMITS.imagesPerRequest),
  topK: z.number().int('must be a whole number').min(1).max(INFER_LIMITS.topK).default(5),
  cam: CamOptionsSchema.optional(),
});

export const PreprocessingInfoSchema = z.object({
  /** height × width × channels the network takes. */
  input: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  classes: z.array(z.string()),
  /** Per-channel mean and standard deviation of the training pixels scaled to [0, 1]. */
  mean: z.array(z.number()),
  std: z.array(z.number()),
  resize: z.enum(['squash', 'crop', 'pad']),
  background: z.enum(['white', 'black']),
  /** 'checkpoint': saved with the weights; 'recomputed': computed again from the run's dataset and split. */
  source: z.enum(['checkpoint', 'recomputed']),
});
export type PreprocessingInfo = z.infer<typeof PreprocessingInfoSchema>;

export const ClassScoreSchema = z.object({ class: z.string(), index: z.number().int(), probability: z.number() });
export type ClassScore = z.infer<typeof ClassScoreSchema>;

/** A grid of values in [0, 1], row-major, at the resolution of the layer it came from. */
export const HeatmapSchema = z.object({ width: z.number().int(), height: z.number().int(), values: z.array(z.number()) });
export type Heatmap = z.infer<typeof HeatmapSchema>;

export const CamResultSchema = z.object({
  layer: z.string(),
  classIndex: z.number().int(),
  class: z.string(),
  heatmap: HeatmapSchema.optional(),
  /** base64 PNG of the image (EXIF-rotated, at most 512 px a side) with the heatmap over it. */
  png: z.string().optional(),
});
export type CamResult = z.infer<typeof CamResultSchema>;

/** One image's answer: `top` and `ms`, or `error` saying why this image was refused. */
export const PredictionSchema = z.object({
  name: z.string(),
  top: z.array(ClassScoreSchema).optional(),
  /** Decode, preprocessing and forward pass of this image (Grad-CAM included when asked). */
  ms: z.number().optional(),
  /** The file as it came: pixels and format. */
  source: z.object({ width: z.number().int(), height: z.number().int(), format: z.string() }).optional(),
  /** What was converted to fit the network ("colour image converted to grayscale", "resized 640×480 → 28×28"). */
  notes: z.array(z.string()),
  cam: CamResultSchema.optional(),
  error: z.string().optional(),
});
export type Prediction = z.infer<typeof PredictionSchema>;

export const InferPredictResponseSchema = z.object({
  runId: RunIdSchema,
  model: z.string(),
  dataset: z.string(),
  /** The checkpoint that answered. */
  checkpoint: CheckpointNameSchema,
  preprocessing: PreprocessingInfoSchema,
  backend: z.string(),
  /** Time to load the model for this request; null when it was already loaded (warm). */
  modelLoadMs: z.number().nullable(),
  predictions: z.array(PredictionSchema),
});
export type InferPredictResponse = z.infer<typeof InferPredictResponseSchema>;

/** A run that inference can use: one with at least one checkpoint. */
export const InferRunSchema = z.object({
  runId: RunIdSchema,
  model: z.string(),
  dataset: z.string(),
  status: RunStatusSchema,
  createdAt: z.string(),
  checkpoints: z.array(CheckpointNameSchema),
  valAccuracy: z.number().nullable(),
});
export type InferRun = z.infer<typeof InferRunSchema>;

export const InferLayersRequestSchema = z.strictObject({ ...inferTarget });
export const InferLayerSchema = z.object({
  name: z.string(),
  type: z.string(),
  /** Per image (no batch axis). */
  outputShape: z.array(z.number().int()),
  /** Height × width × channels: shown as feature maps, usable for Grad-CAM. */
  spatial: z.boolean(),
});
export type InferLayer = z.infer<typeof InferLayerSchema>;
export const InferLayersResponseSchema = z.object({
  runId: RunIdSchema,
  model: z.string(),
  checkpoint: CheckpointNameSchema,
  classes: z.array(z.string()),
  preprocessing: PreprocessingInfoSchema,
  layers: z.array(InferLayerSchema),
  /** The layer Grad-CAM uses when none is chosen. */
  camLayer: z.string().nullable(),
  /** Squeeze-excitation blocks (`conv2_block1_se`); empty for networks without them. */
  seBlocks: z.array(z.string()),
});
export type InferLayersResponse = z.infer<typeof InferLayersResponseSchema>;

export const InferFeatureMapsRequestSchema = z.strictObject({
  ...inferTarget,
  image: InferImageSchema,
  layer: LayerNameSchema,
  /** The first N channels are drawn, one tile each. */
  maxChannels: z.number().int().min(1).max(INFER_LIMITS.featureChannels).default(64),
});
export const InferFeatureMapsResponseSchema = z.object({
  layer: z.string(),
  /** The layer's output per image, height × width × channels. */
  shape: z.array(z.number().int()),
  channels: z.number().int(),
  columns: z.number().int(),
  rows: z.number().int(),
  /** base64 PNG: one grayscale tile per channel, each scaled to its own min and max. */
  png: z.string(),
  ms: z.number(),
  notes: z.array(z.string()),
});
export type InferFeatureMapsResponse = z.infer<typeof InferFeatureMapsResponseSchema>;

export const InferSeWeightsRequestSchema = z.strictObject({
  ...inferTarget,
  image: InferImageSchema,
  /** A squeeze-excitation block from `infer.layers` (`conv2_block1_se`). */
  block: LayerNameSchema,
});
export const InferSeWeightsResponseSchema = z.object({
  block: z.string(),
  /** The excitation (sigmoid gate) per channel for this image, in [0, 1]. */
  weights: z.array(z.number()),
  ms: z.number(),
});
export type InferSeWeightsResponse = z.infer<typeof InferSeWeightsResponseSchema>;

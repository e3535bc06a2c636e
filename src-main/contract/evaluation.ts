/**
 * A run's evaluation on its dataset's test split, and the images behind a confusion cell.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';
import { RunIdSchema } from './ids';
import { CheckpointNameSchema } from './runs';

export const PerClassMetricsSchema = z.object({
  class: z.string(),
  precision: z.number(),
  recall: z.number(),
  /** Test images of this class. */
  support: z.number().int(),
});
export type PerClassMetrics = z.infer<typeof PerClassMetricsSchema>;

/** A run's evaluation on its dataset's test split (runs/<id>/eval/summary.json). */
export const EvalResultSchema = z.object({
  runId: RunIdSchema,
  checkpoint: CheckpointNameSchema,
  /** The checkpoint's epoch and step, so a stale evaluation can be told apart. */
  epoch: z.number().int().nullable(),
  step: z.number().int().nullable(),
  dataset: z.string(),
  classes: z.array(z.string()),
  count: z.number().int(),
  accuracy: z.number(),
  /** Null when the dataset has 5 classes or fewer. */
  top5: z.number().nullable(),
  perClass: z.array(PerClassMetricsSchema),
  /** confusion[actual][predicted]: test images of class `actual` predicted as `predicted`. */
  confusion: z.array(z.array(z.number().int())),
  evaluatedAt: z.string(),
  ms: z.number(),
});
export type EvalResult = z.infer<typeof EvalResultSchema>;

export const EVAL_LIMITS = { imagesPerCell: 64 } as const;

export const EvalImagesRequestSchema = z.strictObject({
  id: RunIdSchema,
  actual: z.number().int().min(0).max(100_000),
  predicted: z.number().int().min(0).max(100_000),
  limit: z.number().int().min(1).max(EVAL_LIMITS.imagesPerCell).default(24),
});

/** One test image of a confusion cell; `png` is base64. */
export const EvalImageSchema = z.object({
  index: z.number().int(),
  label: z.number().int(),
  predicted: z.number().int(),
  /** The probability the network gave its prediction. */
  confidence: z.number(),
  png: z.string(),
});
export type EvalImage = z.infer<typeof EvalImageSchema>;

export const EvalImagesResponseSchema = z.object({
  /** All images of the cell; `images` holds the first `limit`, most confident first. */
  total: z.number().int(),
  images: z.array(EvalImageSchema),
});
export type EvalImagesResponse = z.infer<typeof EvalImagesResponseSchema>;

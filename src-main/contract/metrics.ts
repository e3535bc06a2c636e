/**
 * What a run measures: the lines of metrics.jsonl and the scores a run summary carries.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';
import { MonitoredMetricSchema } from './training-config';

/** One line of metrics.jsonl. */
export const StepMetricSchema = z.object({
  type: z.literal('step'),
  step: z.number().int(),
  epoch: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  learningRate: z.number(),
  imagesPerSec: z.number(),
  time: z.number(),
  /** Top-5 accuracy of the batch, when the dataset has more than 5 classes. */
  top5Accuracy: z.number().optional(),
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: z.number().optional(),
});
export const EpochMetricSchema = z.object({
  type: z.literal('epoch'),
  epoch: z.number().int(),
  step: z.number().int(),
  trainLoss: z.number(),
  trainAccuracy: z.number(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  time: z.number(),
  /** Set when a stop or the step limit ended the epoch before all its batches ran. */
  partial: z.boolean().optional(),
  /** Learning rate of the epoch's last step. */
  learningRate: z.number().optional(),
  /** Set on the epoch whose weights became the best checkpoint. */
  best: z.boolean().optional(),
  /** Set on the last epoch when early stopping ended the run. */
  earlyStopped: z.boolean().optional(),
});
/** Per-layer gradient L2 norms of one step (when `perLayerGradNorms` is on), for the heat strip. */
export const GradsMetricSchema = z.object({
  type: z.literal('grads'),
  step: z.number().int(),
  epoch: z.number().int(),
  layers: z.record(z.string(), z.number()),
  time: z.number(),
});
export const MetricEventSchema = z.discriminatedUnion('type', [StepMetricSchema, EpochMetricSchema, GradsMetricSchema]);
export type StepMetric = z.infer<typeof StepMetricSchema>;
export type EpochMetric = z.infer<typeof EpochMetricSchema>;
export type GradsMetric = z.infer<typeof GradsMetricSchema>;
export type MetricEvent = z.infer<typeof MetricEventSchema>;

export const FinalMetricsSchema = z.object({
  trainLoss: z.number().nullable(),
  trainAccuracy: z.number().nullable(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
});
export type FinalMetrics = z.infer<typeof FinalMetricsSchema>;

/** The best checkpoint's score on the monitored metric, and the epoch it came from. */
export const BestMetricSchema = z.object({ metric: MonitoredMetricSchema, score: z.number().nullable(), epoch: z.number().int().nullable() });
export type BestMetric = z.infer<typeof BestMetricSchema>;

/** Accuracy on the test split from the run's last evaluation. */
export const TestMetricsSchema = z.object({ accuracy: z.number(), top5: z.number().nullable() });
export type TestMetrics = z.infer<typeof TestMetricsSchema>;

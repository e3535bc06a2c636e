/**
 * Papers' training recipes as presets, and what a run changed from its recipe.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';
import { LIMITS, OptimizerNameSchema, ScheduleSchema } from './training-config';

/** The training fields a recipe sets (everything but the model, the data and the machine). */
export const RecipeConfigSchema = z.strictObject({
  epochs: z.number().int().min(1).max(LIMITS.maxEpochs),
  batchSize: z.number().int().min(1).max(LIMITS.maxBatchSize),
  learningRate: z.number().gt(0).max(LIMITS.maxLearningRate),
  optimizer: OptimizerNameSchema,
  momentum: z.number().min(0).lt(1).optional(),
  nesterov: z.boolean().optional(),
  weightDecay: z.number().min(0).max(1).optional(),
  epsilon: z.number().gt(0).max(10).optional(),
  schedule: ScheduleSchema,
  warmupEpochs: z.number().min(0).max(100).optional(),
  labelSmoothing: z.number().min(0).lt(1).optional(),
  auxLossWeight: z.number().min(0).max(10).optional(),
  gradClipNorm: z.number().gt(0).max(1e6).optional(),
});
export type RecipeConfig = z.output<typeof RecipeConfigSchema>;

/** A paper's training recipe, or its laptop-scale version, as a one-click preset. */
export const RecipeSchema = z.object({
  /** e.g. "resnet-cifar-paper", "resnet-cifar-laptop". */
  name: z.string(),
  family: z.string(),
  scale: z.enum(['paper', 'laptop']),
  title: z.string(),
  paper: z.string(),
  /** Registered model names (or name prefixes ending in "*") the recipe was written for. */
  models: z.array(z.string()),
  /** The data the paper trained on, and the input size. */
  data: z.string(),
  config: RecipeConfigSchema,
  /** The augmentation the paper used, in words (applied when the data pipeline offers it). */
  augmentation: z.array(z.string()),
  /** Where a value is not in the paper, or where the laptop version departs from it, and why. */
  notes: z.string(),
});
export type Recipe = z.infer<typeof RecipeSchema>;

/** The recipe fields whose value in `config` differs from the recipe's: what a run records as changed. */
export function changedFromRecipe(recipe: RecipeConfig, config: Partial<Record<keyof RecipeConfig, unknown>>): string[] {
  return (Object.keys(recipe) as (keyof RecipeConfig)[])
    .filter((key) => config[key] !== undefined && JSON.stringify(config[key]) !== JSON.stringify(recipe[key]))
    .concat((Object.keys(config) as (keyof RecipeConfig)[]).filter((key) => !(key in recipe) && key in RecipeConfigSchema.shape && config[key] !== undefined))
    .sort();
}

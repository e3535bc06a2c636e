/**
 * Papers' training recipes as presets, and what a run changed from its recipe.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';
import { DatasetIdSchema } from './ids';
import { ModelOptionsSchema } from './models';
import { AugmentOptionsSchema, LIMITS, OptimizerNameSchema, RecordedTrainConfigSchema, ScheduleSchema } from './training-config';

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
  /** A time budget in minutes: the recipe trains what fits in it (TrainConfig.maxMinutes). */
  maxMinutes: z.number().gt(0).max(LIMITS.maxMinutes).optional(),
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
  /** The augmentation the paper used, in words. */
  augmentation: z.array(z.string()),
  /** The part of it the data pipeline runs: what a run from this recipe trains with, on the CLI and in the form. */
  augment: AugmentOptionsSchema,
  /** Where a value is not in the paper, or where the laptop version departs from it, and why. */
  notes: z.string(),
  /**
   * A whole run rather than a training recipe: the model, its switches and the dataset it was
   * measured on, which picking the preset also sets (unless the user names others).
   */
  run: z.object({ model: z.string(), modelOptions: ModelOptionsSchema, dataset: DatasetIdSchema }).optional(),
  /** What the preset was measured to reach, in words (a whole-run preset's promise). */
  measured: z.string().optional(),
});
export type Recipe = z.infer<typeof RecipeSchema>;

/** A recipe names its models exactly or by a prefix ending in "*" ("vgg*"). */
export function recipeFitsModel(recipe: Pick<Recipe, 'models'>, model: string): boolean {
  return recipe.models.some((pattern) => (pattern.endsWith('*') ? model.startsWith(pattern.slice(0, -1)) : pattern === model));
}

/** The fields a recipe sets, in the order the schema lists them. */
export const RECIPE_FIELDS = Object.keys(RecipeConfigSchema.shape) as (keyof RecipeConfig)[];

/** JSON with sorted keys, so {type, gamma} equals {gamma, type}. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** One field as a run reads it: the config's default when absent, with its own defaults filled in. */
function asRunReadsIt(key: keyof RecipeConfig, value: unknown): unknown {
  const parsed = RecordedTrainConfigSchema.shape[key].safeParse(value);
  return parsed.success ? parsed.data : value;
}

/**
 * The recipe fields on which a run's whole `config` differs from the recipe: what `preset.changed`
 * records, for the CLI and the Train form alike. Both sides are read as a run reads them, so a field
 * left out where the recipe's value is the default is no change, and key order does not matter; a
 * schedule counts as one field.
 */
export function changedFromRecipe(recipe: RecipeConfig, config: Partial<Record<keyof RecipeConfig, unknown>>): (keyof RecipeConfig)[] {
  return RECIPE_FIELDS.filter((key) => stableJson(asRunReadsIt(key, config[key])) !== stableJson(asRunReadsIt(key, recipe[key]))).sort();
}

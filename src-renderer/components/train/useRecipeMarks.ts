/**
 * The "changed from recipe" marks: which fields differ from the recipe the form was filled from,
 * and the recipe's value for each, written for people (the mark's tooltip).
 */
import { useI18n } from 'vue-i18n';
import type { RecipeConfig, Schedule, ScheduleInput } from '../../../src-main/contract';
import { isRecipeKey, type FormField } from '../../lib/validation';
import { useTrainingStore } from '../../stores/training';

export function useRecipeMarks() {
  const { t } = useI18n();
  const training = useTrainingStore();

  function describeSchedule(schedule: Schedule | ScheduleInput): string {
    const name = t(`trainOptions.schedules.${schedule.type}`);
    switch (schedule.type) {
      case 'step':
        return `${name}: ${t('trainOptions.recipe.stepValue', { every: schedule.stepEpochs, gamma: schedule.gamma ?? 0.1 })}`;
      case 'multistep':
        return `${name}: ${t('trainOptions.recipe.multistepValue', { milestones: schedule.milestones.join(', '), gamma: schedule.gamma ?? 0.1 })}`;
      case 'cosine':
        return schedule.minLearningRate ? `${name} → ${schedule.minLearningRate}` : name;
      default:
        return name;
    }
  }

  /** A recipe value as text: "0.9", "SGD with momentum", "multi-step: ×0.1 at 82, 123", "not set". */
  function describe(key: keyof RecipeConfig, value: unknown): string {
    if (value === undefined) return t('trainOptions.recipe.notSet');
    if (key === 'schedule') return describeSchedule(value as Schedule);
    if (key === 'optimizer') return t(`optimizers.${String(value)}`);
    if (typeof value === 'boolean') return t(value ? 'models.on' : 'models.off');
    return String(value);
  }

  /** The tooltip of a changed field ("Recipe: 0.1"), or undefined when the field matches the recipe. */
  function changed(field: FormField): string | undefined {
    const recipe = training.recipe;
    if (!recipe || !isRecipeKey(field) || !training.changedFields.has(field)) return undefined;
    return t('trainOptions.recipe.changedTitle', { value: describe(field, recipe.config[field]) });
  }

  /** The changed recipe fields named as the form labels them, for the summary under the picker. */
  function changedNames(): string[] {
    return training.changedFromRecipe.map((key) => fieldLabel(key as FormField));
  }

  function fieldLabel(field: FormField): string {
    return BASIC_LABELS.includes(field) ? t(`train.${field}`) : t(`trainOptions.fields.${field}`);
  }

  return { changed, changedNames, describe, describeSchedule, fieldLabel };
}

const BASIC_LABELS: readonly string[] = ['model', 'dataset', 'epochs', 'batchSize', 'learningRate', 'optimizer', 'maxSteps', 'maxMinutes'];

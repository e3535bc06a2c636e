/**
 * Client-side validation of the Train form with the contract's own TrainConfigSchema, so the UI
 * and the host agree on what is valid. Errors are kept as message keys (not text) so that a
 * language switch re-renders them.
 */
import type { z } from 'zod';
import { LIMITS, TrainConfigSchema, type OptimizerName, type TrainConfig, type TrainConfigInput } from '../../src-main/contract';

export const FORM_FIELDS = ['model', 'dataset', 'epochs', 'batchSize', 'learningRate', 'optimizer', 'maxSteps'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

export function isFormField(name: unknown): name is FormField {
  return typeof name === 'string' && (FORM_FIELDS as readonly string[]).includes(name);
}

/** What the inputs hold: number inputs give '' when empty or unparsable. */
export interface TrainForm {
  model: string;
  dataset: string;
  epochs: number | string;
  batchSize: number | string;
  learningRate: number | string;
  optimizer: OptimizerName | string;
  maxSteps: number | string;
}

export function defaultTrainForm(): TrainForm {
  return { model: '', dataset: '', epochs: 5, batchSize: 32, learningRate: 0.001, optimizer: 'adam', maxSteps: '' };
}

/** A message to show next to a field: an i18n key with parameters, or the host's own text. */
export type FieldMessage = { key: string; params?: Record<string, unknown> } | { text: string };

export type FieldErrors = Partial<Record<FormField, FieldMessage>>;

function numberOrUndefined(value: number | string): number | undefined {
  if (typeof value === 'number') return value;
  const text = value.trim();
  return text === '' ? undefined : Number(text);
}

/** The request the form describes; an empty optional field is left out. */
export function formToConfigInput(form: TrainForm): Record<string, unknown> {
  const input: Record<string, unknown> = {
    model: form.model.trim(),
    dataset: form.dataset,
    epochs: numberOrUndefined(form.epochs),
    batchSize: numberOrUndefined(form.batchSize),
    learningRate: numberOrUndefined(form.learningRate),
    optimizer: form.optimizer,
  };
  const maxSteps = numberOrUndefined(form.maxSteps);
  if (maxSteps !== undefined) input.maxSteps = maxSteps;
  return input;
}

export function configToForm(config: TrainConfigInput): TrainForm {
  return {
    model: config.model,
    dataset: config.dataset ?? '',
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    optimizer: config.optimizer ?? 'adam',
    maxSteps: config.maxSteps ?? '',
  };
}

const MAXIMUM: Partial<Record<FormField, number>> = {
  epochs: LIMITS.maxEpochs,
  batchSize: LIMITS.maxBatchSize,
  learningRate: LIMITS.maxLearningRate,
  maxSteps: LIMITS.maxSteps,
};

/** Turns one zod issue into a message key; the schema's English text is the last resort. */
export function messageForIssue(field: FormField, issue: z.core.$ZodIssue, value: unknown): FieldMessage {
  if (field === 'model') return { key: 'validation.chooseModel' };
  if (field === 'dataset') return { key: 'validation.chooseDataset' };
  if (field === 'optimizer') return { key: 'validation.chooseOptimizer' };
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return { key: 'validation.wholeNumber' };
      return value === undefined ? { key: 'validation.required' } : { key: 'validation.number' };
    case 'too_small':
      return { key: 'validation.min', params: { min: Number(issue.minimum) } };
    case 'too_big':
      return { key: 'validation.max', params: { max: Number(issue.maximum) } };
    case 'custom':
      if (typeof value === 'number' && value <= 0) return { key: 'validation.positive' };
      if (typeof value === 'number' && MAXIMUM[field] !== undefined && value > MAXIMUM[field]) {
        return { key: 'validation.max', params: { max: MAXIMUM[field] } };
      }
      return { text: issue.message };
    default:
      return { text: issue.message };
  }
}

export type FormValidation = { ok: true; config: TrainConfig; errors: FieldErrors } | { ok: false; errors: FieldErrors };

/** Validates the form with the contract schema; one message per field, the first issue wins. */
export function validateTrainForm(form: TrainForm): FormValidation {
  const input = formToConfigInput(form);
  const parsed = TrainConfigSchema.safeParse(input);
  if (parsed.success) return { ok: true, config: parsed.data, errors: {} };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (isFormField(field) && !errors[field]) errors[field] = messageForIssue(field, issue, input[field]);
  }
  return { ok: false, errors };
}

/** Upper bounds shown as hints next to the number fields. */
export const FIELD_LIMITS = MAXIMUM;

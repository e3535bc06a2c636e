/**
 * Client-side validation of the Train form with the contract's own TrainConfigSchema, so the UI
 * and the host agree on what is valid. Errors are kept as message keys (not text) so that a
 * language switch re-renders them.
 */
import type { z } from 'zod';
import {
  AUGMENT_DEFAULTS,
  DEFAULT_TRAIN_CONFIG,
  LIMITS,
  OPTIMIZER_FIELDS,
  RECIPE_FIELDS,
  TrainConfigSchema,
  type AugmentOptionsInput,
  type MonitoredMetric,
  type OptimizerName,
  type Recipe,
  type TrainConfig,
  type TrainConfigInput,
} from '../../src-main/contract';
import { fieldErrorsOf, type FieldMessage } from './issue-messages';

/** The fields of the simple form, always shown. */
export const BASIC_FIELDS = ['preset', 'model', 'dataset', 'epochs', 'batchSize', 'learningRate', 'optimizer', 'maxSteps', 'maxMinutes'] as const;

/** The fields behind the "Advanced" disclosure. */
export const ADVANCED_FIELDS = [
  'momentum',
  'nesterov',
  'epsilon',
  'weightDecay',
  'decayNormAndBias',
  'schedule',
  'stepEpochs',
  'gamma',
  'milestones',
  'minLearningRate',
  'pctStart',
  'divFactor',
  'finalDivFactor',
  'warmupEpochs',
  'labelSmoothing',
  'auxLossWeight',
  'gradClipNorm',
  'earlyStopping',
  'patience',
  'earlyStoppingMetric',
  'minDelta',
  'bestMetric',
  'augmentation',
  'randomCrop',
  'cropPadding',
  'horizontalFlip',
  'randomResizedCrop',
  'resizedCropScale',
  'resizedCropRatio',
  'colorJitter',
  'brightness',
  'contrast',
  'saturation',
  'perLayerGradNorms',
  'validationFraction',
  'seed',
  'threads',
  'dataParallel',
  'checkpointMinutes',
  'backend',
] as const;

export const FORM_FIELDS = [...BASIC_FIELDS, ...ADVANCED_FIELDS] as const;
export type FormField = (typeof FORM_FIELDS)[number];
export type AdvancedField = (typeof ADVANCED_FIELDS)[number];

export function isFormField(name: unknown): name is FormField {
  return typeof name === 'string' && (FORM_FIELDS as readonly string[]).includes(name);
}

export function isAdvancedField(name: unknown): name is AdvancedField {
  return typeof name === 'string' && (ADVANCED_FIELDS as readonly string[]).includes(name);
}

export const SCHEDULE_TYPES = ['constant', 'step', 'multistep', 'cosine', 'onecycle'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];
export const BACKEND_CHOICES = ['', 'tensorflow', 'wasm', 'cpu'] as const;
export const MONITORED_METRICS: readonly MonitoredMetric[] = ['valLoss', 'valAccuracy'];


/** What the inputs hold: number inputs give '' when empty or unparsable; lists are typed as text. */
export interface TrainForm {
  model: string;
  dataset: string;
  epochs: number | string;
  batchSize: number | string;
  learningRate: number | string;
  optimizer: OptimizerName | string;
  maxSteps: number | string;
  /** A time budget in minutes ('' for none). */
  maxMinutes: number | string;
  /** The recipe the form was filled from ('' for none). */
  preset: string;
  momentum: number | string;
  nesterov: boolean;
  epsilon: number | string;
  weightDecay: number | string;
  decayNormAndBias: boolean;
  schedule: ScheduleType | string;
  stepEpochs: number | string;
  gamma: number | string;
  /** Comma-separated epochs, "82, 123". */
  milestones: string;
  minLearningRate: number | string;
  pctStart: number | string;
  divFactor: number | string;
  finalDivFactor: number | string;
  warmupEpochs: number | string;
  labelSmoothing: number | string;
  auxLossWeight: number | string;
  gradClipNorm: number | string;
  earlyStopping: boolean;
  patience: number | string;
  earlyStoppingMetric: MonitoredMetric | string;
  minDelta: number | string;
  /** '' follows the early-stopping metric (else validation accuracy), as the host does. */
  bestMetric: MonitoredMetric | '' | string;
  randomCrop: boolean;
  cropPadding: number | string;
  horizontalFlip: boolean;
  randomResizedCrop: boolean;
  /** "min, max" fractions of the image area. */
  resizedCropScale: string;
  /** "min, max" aspect ratios. */
  resizedCropRatio: string;
  colorJitter: boolean;
  brightness: number | string;
  contrast: number | string;
  saturation: number | string;
  perLayerGradNorms: boolean;
  validationFraction: number | string;
  seed: number | string;
  /** '' uses the host's default (physical cores minus one). */
  threads: number | string;
  /** Split each batch across the threads (data-parallel) instead of each operation. */
  dataParallel: boolean;
  /** '' is the schema's default, 5 minutes. */
  checkpointMinutes: number | string;
  /** '' lets the host pick the fastest backend. */
  backend: string;
}

/** The advanced options at the schema's defaults: empty means "the host's default". */
export function defaultAdvancedForm(): Omit<TrainForm, 'model' | 'dataset' | 'epochs' | 'batchSize' | 'learningRate' | 'optimizer' | 'maxSteps' | 'maxMinutes'> {
  return {
    preset: '',
    momentum: '',
    nesterov: false,
    epsilon: '',
    weightDecay: '',
    decayNormAndBias: false,
    schedule: 'constant',
    stepEpochs: '',
    gamma: '',
    milestones: '',
    minLearningRate: '',
    pctStart: '',
    divFactor: '',
    finalDivFactor: '',
    warmupEpochs: '',
    labelSmoothing: '',
    auxLossWeight: '',
    gradClipNorm: '',
    earlyStopping: false,
    patience: 5,
    earlyStoppingMetric: 'valLoss',
    minDelta: '',
    bestMetric: '',
    randomCrop: false,
    cropPadding: AUGMENT_DEFAULTS.randomCrop.padding,
    horizontalFlip: false,
    randomResizedCrop: false,
    resizedCropScale: pairText(AUGMENT_DEFAULTS.randomResizedCrop.scale),
    resizedCropRatio: pairText(AUGMENT_DEFAULTS.randomResizedCrop.ratio),
    colorJitter: false,
    ...AUGMENT_DEFAULTS.colorJitter,
    perLayerGradNorms: false,
    validationFraction: '',
    seed: '',
    threads: '',
    dataParallel: false,
    checkpointMinutes: '',
    backend: '',
  };
}

/** The contract's starting config; the model and dataset are filled in once the host lists what it has. */
export function defaultTrainForm(): TrainForm {
  const { epochs, batchSize, learningRate, optimizer } = DEFAULT_TRAIN_CONFIG;
  return { model: '', dataset: '', epochs, batchSize, learningRate, optimizer, maxSteps: '', maxMinutes: '', ...defaultAdvancedForm() };
}

/**
 * A "min, max" pair as the form's text fields hold it. A value with no short decimal form that is a
 * fraction with a small denominator is written as one (torchvision's aspect ratio 3/4, 4/3), so the
 * text reads well and still parses back to the exact number.
 */
export function pairText(pair: readonly number[]): string {
  return pair.map(numberText).join(', ');
}

function numberText(value: number): string {
  const decimal = String(value);
  if (decimal.length <= 8) return decimal;
  for (let denominator = 2; denominator <= 16; denominator++) {
    const numerator = Math.round(value * denominator);
    if (numerator / denominator === value) return `${numerator}/${denominator}`;
  }
  return decimal;
}

export type FieldErrors = Partial<Record<FormField, FieldMessage>>;

/** What a number input holds as a number: '' (empty or unparsable) is undefined, text is parsed. */
export function numberOrUndefined(value: number | string | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (value === undefined) return undefined;
  const text = value.trim();
  return text === '' ? undefined : Number(text);
}

/** "82, 123" → [82, 123], "3/4" → 0.75; a word that is not a number stays NaN so the schema reports it. */
function numberList(text: string): number[] {
  const words = text.split(/[\s,;]+/).filter((word) => word !== '');
  return words.map((word) => {
    const fraction = /^([^/]+)\/([^/]+)$/.exec(word);
    return fraction ? Number(fraction[1]) / Number(fraction[2]) : Number(word);
  });
}

/** Sets `key` on `target` when the value is defined. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

/** What the form knows about the chosen model that changes which fields are sent. */
export interface FormContext {
  /** The model has auxiliary heads (GoogLeNet, Inception v3): the aux-loss weight applies. */
  auxOutputs?: boolean;
}

function scheduleInput(form: TrainForm): Record<string, unknown> {
  const schedule: Record<string, unknown> = { type: form.schedule };
  switch (form.schedule) {
    case 'step':
      schedule.stepEpochs = numberOrUndefined(form.stepEpochs);
      put(schedule, 'gamma', numberOrUndefined(form.gamma));
      break;
    case 'multistep':
      schedule.milestones = numberList(form.milestones);
      put(schedule, 'gamma', numberOrUndefined(form.gamma));
      break;
    case 'cosine':
      put(schedule, 'minLearningRate', numberOrUndefined(form.minLearningRate));
      break;
    case 'onecycle':
      put(schedule, 'pctStart', numberOrUndefined(form.pctStart));
      put(schedule, 'divFactor', numberOrUndefined(form.divFactor));
      put(schedule, 'finalDivFactor', numberOrUndefined(form.finalDivFactor));
      break;
  }
  return schedule;
}

function augmentationInput(form: TrainForm): Record<string, unknown> | undefined {
  const augmentation: Record<string, unknown> = {};
  if (form.randomCrop) augmentation.randomCrop = { padding: numberOrUndefined(form.cropPadding) };
  if (form.horizontalFlip) augmentation.horizontalFlip = true;
  if (form.randomResizedCrop) {
    augmentation.randomResizedCrop = { scale: numberList(form.resizedCropScale), ratio: numberList(form.resizedCropRatio) };
  }
  if (form.colorJitter) {
    const jitter: Record<string, unknown> = {};
    put(jitter, 'brightness', numberOrUndefined(form.brightness));
    put(jitter, 'contrast', numberOrUndefined(form.contrast));
    put(jitter, 'saturation', numberOrUndefined(form.saturation));
    augmentation.colorJitter = jitter;
  }
  return Object.keys(augmentation).length > 0 ? augmentation : undefined;
}

/**
 * The request the form describes; an empty optional field is left out, and so is a field the
 * current choices do not use (momentum with Adam, a step size with a cosine schedule).
 */
export function formToConfigInput(form: TrainForm, context: FormContext = {}): Record<string, unknown> {
  const input: Record<string, unknown> = {
    model: form.model.trim(),
    dataset: form.dataset,
    epochs: numberOrUndefined(form.epochs),
    batchSize: numberOrUndefined(form.batchSize),
    learningRate: numberOrUndefined(form.learningRate),
    optimizer: form.optimizer,
  };
  put(input, 'maxSteps', numberOrUndefined(form.maxSteps));
  put(input, 'maxMinutes', numberOrUndefined(form.maxMinutes));
  const optimizer = form.optimizer as OptimizerName;
  if (OPTIMIZER_FIELDS.momentum.includes(optimizer)) put(input, 'momentum', numberOrUndefined(form.momentum));
  if (OPTIMIZER_FIELDS.nesterov.includes(optimizer) && form.nesterov) input.nesterov = true;
  if (OPTIMIZER_FIELDS.epsilon.includes(optimizer)) put(input, 'epsilon', numberOrUndefined(form.epsilon));
  put(input, 'weightDecay', numberOrUndefined(form.weightDecay));
  if (form.decayNormAndBias) input.decayNormAndBias = true;
  if (form.schedule !== 'constant') input.schedule = scheduleInput(form);
  if (form.schedule !== 'onecycle') put(input, 'warmupEpochs', numberOrUndefined(form.warmupEpochs));
  put(input, 'labelSmoothing', numberOrUndefined(form.labelSmoothing));
  if (context.auxOutputs) put(input, 'auxLossWeight', numberOrUndefined(form.auxLossWeight));
  put(input, 'gradClipNorm', numberOrUndefined(form.gradClipNorm));
  if (form.earlyStopping) {
    const earlyStopping: Record<string, unknown> = { patience: numberOrUndefined(form.patience), metric: form.earlyStoppingMetric };
    put(earlyStopping, 'minDelta', numberOrUndefined(form.minDelta));
    input.earlyStopping = earlyStopping;
  }
  if (form.bestMetric !== '') input.bestMetric = form.bestMetric;
  put(input, 'augmentation', augmentationInput(form));
  if (form.perLayerGradNorms) input.perLayerGradNorms = true;
  put(input, 'validationFraction', numberOrUndefined(form.validationFraction));
  put(input, 'seed', numberOrUndefined(form.seed));
  put(input, 'threads', numberOrUndefined(form.threads));
  if (form.dataParallel) input.dataParallel = true;
  put(input, 'checkpointMinutes', numberOrUndefined(form.checkpointMinutes));
  if (form.backend !== '') input.backend = form.backend;
  return input;
}

/** A saved run's (or a recipe's) configuration as form values; what it leaves out is the default. */
export function configToForm(config: TrainConfigInput): TrainForm {
  const form: TrainForm = {
    model: config.model,
    dataset: config.dataset ?? '',
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    optimizer: config.optimizer ?? 'adam',
    maxSteps: config.maxSteps ?? '',
    maxMinutes: config.maxMinutes ?? '',
    ...defaultAdvancedForm(),
    ...trainingFieldsToForm(config),
    preset: config.preset?.name ?? '',
    perLayerGradNorms: config.perLayerGradNorms ?? false,
    validationFraction: config.validationFraction ?? '',
    seed: config.seed ?? '',
    threads: config.threads ?? '',
    dataParallel: config.dataParallel ?? false,
    checkpointMinutes: config.checkpointMinutes ?? '',
    backend: config.backend ?? '',
  };
  return config.augmentation ? { ...form, ...augmentationToForm(config.augmentation) } : form;
}

/** An augmentation as the form's switches and values: what it leaves out is off, and those values keep the form's. */
export function augmentationToForm(augmentation: AugmentOptionsInput): Partial<TrainForm> {
  const { randomCrop, randomResizedCrop, colorJitter } = augmentation;
  return {
    randomCrop: randomCrop !== undefined,
    ...(randomCrop ? { cropPadding: randomCrop.padding } : {}),
    horizontalFlip: augmentation.horizontalFlip ?? false,
    randomResizedCrop: randomResizedCrop !== undefined,
    ...(randomResizedCrop ? { resizedCropScale: pairText(randomResizedCrop.scale), resizedCropRatio: pairText(randomResizedCrop.ratio) } : {}),
    colorJitter: colorJitter !== undefined,
    ...(colorJitter ? { brightness: colorJitter.brightness ?? '', contrast: colorJitter.contrast ?? '', saturation: colorJitter.saturation ?? '' } : {}),
  };
}

/** The fields a recipe can set (optimizer, schedule, regularization), as form values. */
export function trainingFieldsToForm(config: Partial<TrainConfigInput>): Partial<TrainForm> {
  const schedule = config.schedule ?? { type: 'constant' as const };
  const form: Partial<TrainForm> = {
    momentum: config.momentum ?? '',
    nesterov: config.nesterov ?? false,
    epsilon: config.epsilon ?? '',
    weightDecay: config.weightDecay ?? '',
    decayNormAndBias: config.decayNormAndBias ?? false,
    schedule: schedule.type,
    stepEpochs: schedule.type === 'step' ? schedule.stepEpochs : '',
    gamma: schedule.type === 'step' || schedule.type === 'multistep' ? (schedule.gamma ?? '') : '',
    milestones: schedule.type === 'multistep' ? schedule.milestones.join(', ') : '',
    minLearningRate: schedule.type === 'cosine' ? (schedule.minLearningRate ?? '') : '',
    pctStart: schedule.type === 'onecycle' ? (schedule.pctStart ?? '') : '',
    divFactor: schedule.type === 'onecycle' ? (schedule.divFactor ?? '') : '',
    finalDivFactor: schedule.type === 'onecycle' ? (schedule.finalDivFactor ?? '') : '',
    warmupEpochs: config.warmupEpochs ?? '',
    labelSmoothing: config.labelSmoothing ?? '',
    auxLossWeight: config.auxLossWeight ?? '',
    gradClipNorm: config.gradClipNorm ?? '',
    earlyStopping: config.earlyStopping !== undefined,
    bestMetric: config.bestMetric ?? '',
  };
  if (config.earlyStopping) {
    form.patience = config.earlyStopping.patience;
    form.earlyStoppingMetric = config.earlyStopping.metric ?? 'valLoss';
    form.minDelta = config.earlyStopping.minDelta ?? '';
  }
  return form;
}

/** The form filled from a recipe: its training fields, its augmentation, and its name as the preset. */
export function recipeToForm(recipe: Recipe): Partial<TrainForm> {
  const { epochs, batchSize, learningRate, optimizer } = recipe.config;
  return {
    ...trainingFieldsToForm(recipe.config),
    ...augmentationToForm(recipe.augment),
    epochs,
    batchSize,
    learningRate,
    optimizer,
    maxMinutes: recipe.config.maxMinutes ?? '',
    preset: recipe.name,
  };
}

/** A recipe field: each is a form field of the same name, which the "changed from recipe" marks use. */
export type RecipeKey = (typeof RECIPE_FIELDS)[number] & FormField;

export function isRecipeKey(key: string): key is RecipeKey {
  return (RECIPE_FIELDS as readonly string[]).includes(key) && isFormField(key);
}

/** The form fields a list of changed recipe keys points at (`schedule` also marks its parameters). */
export function changedFormFields(changed: readonly string[]): Set<FormField> {
  const fields = new Set<FormField>();
  for (const key of changed) if (isRecipeKey(key)) fields.add(key);
  return fields;
}

/**
 * The form field a request path points at: `schedule.milestones.1` → milestones,
 * `earlyStopping.patience` → patience, `modelOptions.se` → model. Works for zod issue paths and
 * for the host's `field` strings alike.
 */
export function fieldForPath(path: string | readonly PropertyKey[]): FormField | undefined {
  const parts = (typeof path === 'string' ? path.split('.') : path.map(String)).filter((part) => part !== '' && !/^\d+$/.test(part));
  for (let length = parts.length; length > 0; length--) {
    const key = parts.slice(0, length).join('.');
    const field = NESTED_FIELDS[key] ?? (length === 1 && isFormField(key) ? key : undefined);
    if (field) return field;
  }
  return undefined;
}

const NESTED_FIELDS: Record<string, FormField> = {
  'schedule.type': 'schedule',
  'schedule.stepEpochs': 'stepEpochs',
  'schedule.gamma': 'gamma',
  'schedule.milestones': 'milestones',
  'schedule.minLearningRate': 'minLearningRate',
  'schedule.pctStart': 'pctStart',
  'schedule.divFactor': 'divFactor',
  'schedule.finalDivFactor': 'finalDivFactor',
  earlyStopping: 'patience',
  'earlyStopping.patience': 'patience',
  'earlyStopping.metric': 'earlyStoppingMetric',
  'earlyStopping.minDelta': 'minDelta',
  'augmentation.randomCrop': 'cropPadding',
  'augmentation.horizontalFlip': 'horizontalFlip',
  'augmentation.randomResizedCrop': 'resizedCropScale',
  'augmentation.randomResizedCrop.scale': 'resizedCropScale',
  'augmentation.randomResizedCrop.ratio': 'resizedCropRatio',
  'augmentation.colorJitter': 'brightness',
  'augmentation.colorJitter.brightness': 'brightness',
  'augmentation.colorJitter.contrast': 'contrast',
  'augmentation.colorJitter.saturation': 'saturation',
  modelOptions: 'model',
};

/** How the Train form words some fields' issues; `messageForIssue` words the rest. */
function trainFieldMessage(field: FormField, issue: z.core.$ZodIssue): FieldMessage | undefined {
  if (field === 'model') return { key: 'validation.chooseModel' };
  if (field === 'dataset') return { key: 'validation.chooseDataset' };
  if (field === 'optimizer') return { key: 'validation.chooseOptimizer' };
  const pair = field === 'resizedCropScale' || field === 'resizedCropRatio';
  if (pair && (issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'array') return { key: 'trainOptions.validation.pair' };
  return undefined;
}

export type FormValidation = { ok: true; config: TrainConfig; input: Record<string, unknown>; errors: FieldErrors } | { ok: false; input: Record<string, unknown>; errors: FieldErrors };

/** Validates the form with the contract schema, rules between fields included; one message per field. */
export function validateTrainForm(form: TrainForm, context: FormContext = {}): FormValidation {
  const input = formToConfigInput(form, context);
  const parsed = TrainConfigSchema.safeParse(input);
  if (parsed.success) return { ok: true, config: parsed.data, input, errors: {} };
  return { ok: false, input, errors: fieldErrorsOf(parsed.error.issues, input, fieldForPath, trainFieldMessage) };
}

/** Upper bounds shown as hints next to the number fields. */
export const FIELD_LIMITS: Partial<Record<FormField, number>> = {
  epochs: LIMITS.maxEpochs,
  batchSize: LIMITS.maxBatchSize,
  learningRate: LIMITS.maxLearningRate,
  maxSteps: LIMITS.maxSteps,
  maxMinutes: LIMITS.maxMinutes,
};

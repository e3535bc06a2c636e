/**
 * Core's model methods: the registered variants with their switches, and `models.inspect`, the
 * zoo's dry run (shape arithmetic only, no weights), cheap enough to answer every keystroke of
 * the Models screen. Zoo errors become contract errors that name the field at fault.
 */
import type { ApiError, ModelInfo, ModelInspection, ModelOptions, ParsedRequestOf, SwitchSpec } from '../contract';
import {
  getModelMeta,
  InputTooSmallError,
  inspectModel,
  listModels,
  ModelOptionError,
  modelParamCount,
  UnknownModelError,
  type InputShape,
  type ModelMeta,
} from '../zoo';
import type { Handlers } from './handlers';
import { WorkbenchError } from './errors';

/** Switches the host sets itself: `training` adds the auxiliary outputs when the trainer builds a model. */
const HOST_SWITCHES = new Set(['training']);
/** Request fields that are not switches; any other field the zoo names is a switch under `options`. */
const TOP_LEVEL_FIELDS = new Set(['input', 'classes', 'batchSize']);

function userSwitches(meta: ModelMeta): Record<string, SwitchSpec> {
  const switches: Record<string, SwitchSpec> = {};
  for (const [name, spec] of Object.entries(meta.switches ?? {})) {
    if (!HOST_SWITCHES.has(name)) switches[name] = spec.kind === 'choice' ? { ...spec, choices: [...spec.choices] } : { ...spec };
  }
  return switches;
}

export function modelInfo(meta: ModelMeta): ModelInfo {
  return {
    name: meta.name,
    family: meta.family,
    input: meta.defaultInput,
    classes: meta.defaultClasses,
    params: modelParamCount(meta.name),
    description: meta.description,
    paper: meta.paper,
    switches: userSwitches(meta),
    ...(meta.auxOutputs ? { auxOutputs: { ...meta.auxOutputs } } : {}),
  };
}

/**
 * A zoo error as a contract error. `optionsField` is where the request keeps the switches
 * (`options` for models.inspect, `modelOptions` for runs.start), so the field is the request's path.
 */
export function modelErrorToApiError(error: unknown, meta: ModelMeta | undefined, optionsField = 'options'): ApiError | null {
  if (error instanceof UnknownModelError) return { code: 'invalid_request', field: 'name', message: error.message };
  if (error instanceof InputTooSmallError) return { code: 'invalid_request', field: 'input', message: error.message };
  if (error instanceof ModelOptionError) {
    const field = TOP_LEVEL_FIELDS.has(error.field) ? error.field : `${optionsField}.${error.field}`;
    return { code: 'invalid_request', field, message: error.message };
  }
  if (!(error instanceof Error)) return null;
  // The layer primitives refuse impossible shapes with plain errors; name the switch or the input behind them.
  const message = error.message;
  if (/divide by groups/.test(message)) {
    const switchName = ['groups', 'cardinality'].find((name) => meta?.switches?.[name]);
    return { code: 'invalid_request', ...(switchName ? { field: `${optionsField}.${switchName}` } : {}), message };
  }
  if (/pools a|adaptive pooling|concatenate feature maps|cannot reshape|use a larger input/.test(message)) {
    return { code: 'invalid_request', field: 'input', message };
  }
  return null;
}

function inputShape(meta: ModelMeta, input: number | [number, number, number] | undefined): InputShape {
  if (input === undefined) return [...meta.defaultInput];
  if (typeof input === 'number') return [input, input, meta.defaultInput[2]];
  return [...input];
}

/** The dry run behind `models.inspect`; throws WorkbenchError with the field at fault. */
export function inspect(request: ParsedRequestOf<'models.inspect'>): ModelInspection {
  const meta = getModelMeta(request.name);
  if (!meta) {
    const known = listModels().map((m) => m.name).join(', ');
    throw new WorkbenchError({ code: 'invalid_request', field: 'name', message: `name: unknown model "${request.name}"; known models: ${known}` });
  }
  const input = inputShape(meta, request.input);
  const classes = request.classes ?? meta.defaultClasses;
  try {
    const inspection = inspectModel(meta.name, { ...request.options, input, classes, batchSize: request.batchSize });
    // The auxiliary heads exist only in the graph the trainer builds: count that graph too.
    const trainingParams = meta.auxOutputs ? inspectModel(meta.name, { ...request.options, input, classes, training: true }).params : inspection.params;
    const options: ModelOptions = {};
    for (const [name, spec] of Object.entries(meta.switches ?? {})) options[name] = spec.default;
    Object.assign(options, request.options);
    return {
      name: meta.name,
      family: meta.family,
      input: inspection.input,
      classes: inspection.classes,
      batchSize: request.batchSize,
      options,
      params: inspection.params,
      trainingParams,
      macs: inspection.macs,
      activationBytes: inspection.activationBytes,
      layers: inspection.layers.map((layer) => ({ ...layer, outputShape: [...layer.outputShape] })),
    };
  } catch (error) {
    const apiError = modelErrorToApiError(error, meta);
    if (apiError) throw new WorkbenchError(apiError);
    throw error;
  }
}

/**
 * Checks a run's model switches at the run's input before anything starts (a dry run, no
 * weights): null when they build, else the error with its field under `modelOptions`.
 */
export function checkModelOptions(model: string, options: ModelOptions, input?: InputShape, classes?: number): ApiError | null {
  const meta = getModelMeta(model);
  if (!meta) return { code: 'invalid_request', field: 'model', message: `model: unknown model "${model}"` };
  for (const name of Object.keys(options)) {
    if (HOST_SWITCHES.has(name)) {
      return { code: 'invalid_request', field: `modelOptions.${name}`, message: `modelOptions.${name}: is set by the trainer, not by a run's options` };
    }
  }
  try {
    inspectModel(model, { ...options, input: input ?? meta.defaultInput, classes: classes ?? meta.defaultClasses });
    return null;
  } catch (error) {
    const apiError = modelErrorToApiError(error, meta, 'modelOptions') ?? { code: 'invalid_request', field: 'modelOptions', message: error instanceof Error ? error.message : String(error) };
    // The common case on a laptop: an ImageNet network on 28 to 64 pixel images.
    if (apiError.field === 'input' && meta.switches?.smallInput && options.smallInput !== true) {
      return { ...apiError, message: `${apiError.message}; the smallInput switch (3×3 stride-1 stem, no early pooling) adapts ${model} to small images` };
    }
    return apiError;
  }
}

export const modelHandlers: Handlers<'models.list' | 'models.inspect'> = {
  'models.list': () => listModels().map(modelInfo),
  'models.inspect': (request) => inspect(request),
};

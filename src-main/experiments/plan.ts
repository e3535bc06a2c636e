/**
 * From a request to an experiment record: the base configuration, one configuration per arm, and
 * every check that can be made before a run starts. A bad request is refused as a whole, naming the
 * field at fault (`vary`, `seeds`, `builtin`), and nothing is written.
 */
import {
  errorFromZod,
  TrainConfigSchema,
  VARIABLE_CONFIG_FIELDS,
  type ApiError,
  type ExperimentVary,
  type SwitchValue,
  type TrainConfig,
} from '../contract';
import { getModelMeta, listModels } from '../zoo';
import { findBuiltin, BUILTIN_EXPERIMENTS, type BuiltinDefinition } from './builtin';
import type { ExperimentArm } from './store';

export class ExperimentInputError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

const refuse = (field: string, message: string): never => {
  throw new ExperimentInputError({ code: 'invalid_request', field, message: `${field}: ${message}` });
};

/** Switches the trainer sets itself, never an experiment. */
const HOST_SWITCHES = new Set(['training']);

function armConfig(config: Record<string, unknown>, value: SwitchValue): TrainConfig {
  const parsed = TrainConfigSchema.safeParse(config);
  if (!parsed.success) {
    const error = errorFromZod(parsed.error, config);
    refuse('vary', `the arm ${JSON.stringify(value)} is not a valid configuration: ${error.message}`);
  }
  return parsed.data!;
}

/** Arms of a user's experiment: the base with the varied training field or switch set to each value. */
export function armsFromVary(base: TrainConfig, vary: ExperimentVary): ExperimentArm[] {
  const { field, values } = vary;
  const isConfigField = (VARIABLE_CONFIG_FIELDS as readonly string[]).includes(field);
  const meta = getModelMeta(base.model);
  if (!meta) refuse('base.model', `unknown model "${base.model}"; known models: ${listModels().map((m) => m.name).join(', ')}`);
  if (!isConfigField) {
    const switches = Object.keys(meta?.switches ?? {}).filter((name) => !HOST_SWITCHES.has(name));
    if (!switches.includes(field)) {
      refuse(
        'vary',
        `"${field}" is neither a switch of ${base.model} (${switches.join(', ')}) nor a training field that can vary (${VARIABLE_CONFIG_FIELDS.join(', ')})`,
      );
    }
  }
  return values.map((value) => {
    const { seed: _seed, ...rest } = base;
    const config = isConfigField ? { ...rest, [field]: value } : { ...rest, modelOptions: { ...base.modelOptions, [field]: value } };
    return { value, config: armConfig(config, value), runs: [] };
  });
}

/** Arms of a built-in experiment: its base, and each arm's own settings where it has them. */
export function armsFromBuiltin(definition: BuiltinDefinition, maxSteps: number | undefined): { base: TrainConfig; arms: ExperimentArm[] } {
  const base = TrainConfigSchema.parse({ ...definition.base, ...(maxSteps !== undefined ? { maxSteps } : {}) });
  if (!definition.arms) return { base, arms: armsFromVary(base, { field: definition.vary.field, values: definition.vary.values }) };
  const arms = definition.vary.values.map((value) => {
    const patch = definition.arms![String(value)];
    const { seed: _seed, ...rest } = base;
    const config = { ...rest, ...patch.config, modelOptions: { ...base.modelOptions, ...patch.modelOptions } };
    return { value, config: armConfig(config, value), runs: [] };
  });
  return { base, arms };
}

export function builtinOrRefuse(name: string): BuiltinDefinition {
  return findBuiltin(name) ?? refuse('builtin', `unknown built-in experiment "${name}"; built-in experiments: ${BUILTIN_EXPERIMENTS.map((b) => b.name).join(', ')}`);
}

/**
 * Switches: what a user may change on a variant, with the variant's defaults, and the checks
 * every builder runs before it builds (Keras style: say what was received).
 */
import type { SwitchSpec } from '../contract';
import { ACTIVATIONS, type Activation } from './layers/graph';
import type { BuildOptions, InputShape } from './registry';

export type { SwitchSpec };

export type SwitchSpecs = Record<string, SwitchSpec>;

/** A wrong option: `field` names it, the message says what was received. */
export class ModelOptionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelOptionError';
  }
}

/** The switches every family understands. */
export interface CommonSwitches {
  activation: Activation;
  batchNorm: boolean;
  dropout: number;
  widthMultiplier: number;
  smallInput: boolean;
  head: 'gap' | 'flatten';
  training: boolean;
}

export function commonSwitchSpecs(defaults: Partial<CommonSwitches> = {}): SwitchSpecs {
  return {
    activation: {
      kind: 'choice', choices: [...ACTIVATIONS], default: defaults.activation ?? 'relu',
      description: 'Nonlinearity after each convolution (leaky_relu has slope 0.01).',
    },
    batchNorm: {
      kind: 'boolean', default: defaults.batchNorm ?? true,
      description: 'Batch normalisation after each convolution; without it convolutions get a bias.',
    },
    dropout: {
      kind: 'number', min: 0, max: 1, default: defaults.dropout ?? 0,
      description: 'Dropout rate before the classifier (0 = no dropout layer).',
    },
    widthMultiplier: {
      kind: 'number', min: 0, max: 4, minExclusive: true, default: defaults.widthMultiplier ?? 1,
      description: 'Scales every layer width (channels and hidden units).',
    },
    smallInput: {
      kind: 'boolean', default: defaults.smallInput ?? false,
      description: 'For 32×32-class images: a 3×3 stride-1 stem and no early max-pool.',
    },
    head: {
      kind: 'choice', choices: ['gap', 'flatten'], default: defaults.head ?? 'gap',
      description: "'gap': global average pool, any input size; 'flatten': flatten the last feature map, fixed input size.",
    },
    training: {
      kind: 'boolean', default: false,
      description: 'Build for training: adds the auxiliary outputs of models that have them (when auxHeads is on).',
    },
  };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? String(value);
}

export function checkInput(modelName: string, input: unknown): InputShape {
  const ok = Array.isArray(input) && input.length === 3 && input.every((d) => Number.isInteger(d) && d > 0);
  if (!ok) {
    throw new ModelOptionError('input', `${modelName}: input must be [height, width, channels] of positive integers; got ${describe(input)}`);
  }
  return [...input] as InputShape;
}

export function checkClasses(modelName: string, classes: unknown): number {
  if (!Number.isInteger(classes) || (classes as number) < 1) {
    throw new ModelOptionError('classes', `${modelName}: classes must be a positive integer; got ${describe(classes)}`);
  }
  return classes as number;
}

function checkSwitch(modelName: string, field: string, spec: SwitchSpec, value: unknown): unknown {
  const fail = (expected: string): never => {
    throw new ModelOptionError(field, `${modelName}: ${field} must be ${expected}; got ${describe(value)}`);
  };
  switch (spec.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('true or false');
    case 'choice':
      return typeof value === 'string' && spec.choices.includes(value) ? value : fail(`one of ${spec.choices.join(', ')}`);
    default: {
      const range = `${spec.minExclusive ? '>' : '≥'} ${spec.min} and ≤ ${spec.max}`;
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`a number ${range}`);
      if (spec.kind === 'integer' && !Number.isInteger(value)) return fail(`an integer ${range}`);
      if (value < spec.min || (spec.minExclusive && value === spec.min) || value > spec.max) return fail(range);
      return value;
    }
  }
}

export interface CheckedOptions<S> {
  input: InputShape;
  classes: number;
  switches: S;
}

/** Checks input, classes and every switch; unknown switches are refused by name. */
export function checkOptions<S>(modelName: string, options: BuildOptions, specs: SwitchSpecs): CheckedOptions<S> {
  const { input, classes, ...rest } = options;
  const switches: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    const spec = specs[field];
    if (!spec) {
      throw new ModelOptionError(field, `${modelName} has no switch "${field}"; its switches are ${Object.keys(specs).join(', ')}`);
    }
    switches[field] = checkSwitch(modelName, field, spec, value);
  }
  for (const [field, spec] of Object.entries(specs)) {
    if (!(field in switches)) switches[field] = spec.default;
  }
  return { input: checkInput(modelName, input), classes: checkClasses(modelName, classes), switches: switches as S };
}

/** A layer width scaled by the width multiplier, rounded to a multiple of `divisor`, never below it. */
export function scaleWidth(width: number, multiplier: number, divisor = 1): number {
  return Math.max(divisor, Math.round((width * multiplier) / divisor) * divisor);
}

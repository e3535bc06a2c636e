/**
 * The model registry: one explicit `registerModel` per variant name, and `listModels` /
 * `createModel` as the only doors in (as timm's `_registry.py` and torchvision's `_api.py`).
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Trace } from './layers/graph';
import type { SwitchSpecs } from './options';

export type InputShape = [height: number, width: number, channels: number];

/** Options every builder understands; families add their own switches on top. */
export interface BuildOptions {
  input: InputShape;
  classes: number;
  [switchName: string]: unknown;
}

export interface ModelMeta {
  name: string;
  family: string;
  /** The one idea the paper brought, in a sentence a user can read on a card. */
  description: string;
  paper: string;
  defaultInput: InputShape;
  defaultClasses: number;
  /** The switches this variant accepts, with its defaults (for forms and validation messages). */
  switches?: SwitchSpecs;
  /**
   * Models with auxiliary classifiers (GoogLeNet, Inception v3). Built with
   * `{ training: true, auxHeads: true }` they output [logits, aux1, ...] and the training loss is
   * loss(logits) + auxWeight × Σ loss(aux); otherwise they output the logits alone. The built
   * model also carries the weights in its user-defined metadata (see `outputLossWeights`).
   */
  auxOutputs?: { count: number; defaultWeight: number };
}

export type ModelBuilder = (options: BuildOptions) => LayersModel;
/** A dry run of the builder: shapes, parameters and multiply-adds without any weights. */
export type ModelTracer = (options: BuildOptions) => Trace;

interface Entry {
  meta: ModelMeta;
  build: ModelBuilder;
  trace?: ModelTracer;
}

const registry = new Map<string, Entry>();

export function registerModel(name: string, build: ModelBuilder, meta: Omit<ModelMeta, 'name'>, trace?: ModelTracer): void {
  if (registry.has(name)) throw new Error(`model "${name}" is already registered`);
  registry.set(name, { meta: { name, ...meta }, build, trace });
}

export function listModels(): ModelMeta[] {
  return [...registry.values()].map((entry) => entry.meta);
}

export function getModelMeta(name: string): ModelMeta | undefined {
  return registry.get(name)?.meta;
}

export class UnknownModelError extends Error {
  constructor(readonly modelName: string) {
    super(`unknown model "${modelName}"; known models: ${[...registry.keys()].join(', ')}`);
  }
}

function resolve(name: string, overrides: Partial<BuildOptions>): { entry: Entry; options: BuildOptions } {
  const entry = registry.get(name);
  if (!entry) throw new UnknownModelError(name);
  const options: BuildOptions = {
    ...overrides,
    input: overrides.input ?? entry.meta.defaultInput,
    classes: overrides.classes ?? entry.meta.defaultClasses,
  };
  return { entry, options };
}

/** Builds a registered model; `overrides` replaces the variant's default input, classes and switches. */
export function createModel(name: string, overrides: Partial<BuildOptions> = {}): LayersModel {
  const { entry, options } = resolve(name, overrides);
  return entry.build(options);
}

/** The dry run of a registered model (no weights); throws if the model has no tracer. */
export function traceModel(name: string, overrides: Partial<BuildOptions> = {}): Trace {
  const { entry, options } = resolve(name, overrides);
  if (!entry.trace) throw new Error(`model "${name}" cannot be inspected without building it`);
  return entry.trace(options);
}


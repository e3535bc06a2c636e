/**
 * The model registry: one explicit `registerModel` per variant name, and `listModels` /
 * `createModel` as the only doors in (as timm's `_registry.py` and torchvision's `_api.py`).
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';

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
}

export type ModelBuilder = (options: BuildOptions) => LayersModel;

interface Entry {
  meta: ModelMeta;
  build: ModelBuilder;
}

const registry = new Map<string, Entry>();

export function registerModel(name: string, build: ModelBuilder, meta: Omit<ModelMeta, 'name'>): void {
  if (registry.has(name)) throw new Error(`model "${name}" is already registered`);
  registry.set(name, { meta: { name, ...meta }, build });
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

/** Builds a registered model; `overrides` replaces the variant's default input, classes and switches. */
export function createModel(name: string, overrides: Partial<BuildOptions> = {}): LayersModel {
  const entry = registry.get(name);
  if (!entry) throw new UnknownModelError(name);
  const options: BuildOptions = {
    ...overrides,
    input: overrides.input ?? entry.meta.defaultInput,
    classes: overrides.classes ?? entry.meta.defaultClasses,
  };
  return entry.build(options);
}


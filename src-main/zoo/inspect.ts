/**
 * The inspector: a model's parameters, multiply-adds, activation memory and per-layer shapes,
 * computed by the dry run (no weights are allocated, so inspecting VGG-19 is instant), and a
 * too-small input refused with the layer where O = (I − K + 2P)/S + 1 falls below 1.
 */
import type { InspectedLayer } from '../contract';
import { ModelOptionError } from './options';
import { getModelMeta, traceModel, UnknownModelError, type BuildOptions, type InputShape } from './registry';

export interface InspectOptions extends Partial<BuildOptions> {
  /** Multiplies `activationBytes`; 1 by default. */
  batchSize?: number;
}

export interface ModelInspection {
  name: string;
  input: InputShape;
  classes: number;
  /** As TF.js counts them: BatchNormalization's moving mean and variance are non-trainable. */
  params: { trainable: number; nonTrainable: number };
  /** Multiply-adds of the convolutions and dense layers for one image. */
  macs: number;
  /** float32 bytes of every layer output (the input included) for `batchSize` images. */
  activationBytes: number;
  layers: InspectedLayer[];
}

export function inspectModel(name: string, options: InspectOptions = {}): ModelInspection {
  const { batchSize = 1, ...overrides } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ModelOptionError('batchSize', `batchSize must be a positive integer; got ${JSON.stringify(batchSize)}`);
  }
  const meta = getModelMeta(name);
  if (!meta) throw new UnknownModelError(name);
  const trace = traceModel(name, overrides);
  let trainable = 0;
  let all = 0;
  let macs = 0;
  let activationElements = 0;
  for (const layer of trace.layers) {
    trainable += layer.trainableParams;
    all += layer.params;
    macs += layer.macs;
    activationElements += layer.outputShape.reduce((a, b) => a * b, 1);
  }
  return {
    name,
    input: trace.input,
    classes: overrides.classes ?? meta.defaultClasses,
    params: { trainable, nonTrainable: all - trainable },
    macs,
    activationBytes: activationElements * 4 * batchSize,
    layers: trace.layers,
  };
}

const paramCounts = new Map<string, number>();

/** Trainable parameters of a variant at its defaults (the number torchvision reports); cached. */
export function modelParamCount(name: string): number {
  let count = paramCounts.get(name);
  if (count === undefined) {
    count = inspectModel(name).params.trainable;
    paramCounts.set(name, count);
  }
  return count;
}

/**
 * From a family's definition to a registered model: check the options, dry-run the definition
 * (which refuses a too-small input before any weight exists), then build it with tfjs-layers.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { Trace, type Tensor } from './layers/graph';
import { checkOptions, type CheckedOptions, type SwitchSpecs } from './options';
import { registerModel, type BuildOptions, type ModelMeta } from './registry';

/** What a definition returns: the logits, and the auxiliary logits when it builds aux heads. */
export interface NetworkOutputs {
  logits: Tensor;
  aux?: Tensor[];
  auxWeight?: number;
}

/**
 * A family's definition of one variant, written once for both kinds of tensor: given the
 * input as a SymbolicTensor its outputs are SymbolicTensors, given a ShapeTensor they are too.
 */
export type NetworkDefinition<S> = (x: Tensor, options: CheckedOptions<S>) => NetworkOutputs;

export interface NetworkRegistration<S> {
  meta: Omit<ModelMeta, 'name' | 'switches'>;
  switches: SwitchSpecs;
  define: NetworkDefinition<S>;
}

/** What `setUserDefinedMetadata` stores on every built model (it survives save and load). */
export interface ModelMetadata {
  cvb: { model: string; outputs: string[]; lossWeights: number[] };
}

export function traceNetwork<S>(name: string, registration: NetworkRegistration<S>, options: BuildOptions): Trace {
  const checked = checkOptions<S>(name, options, registration.switches);
  const trace = new Trace(name, checked.input);
  registration.define(trace.inputTensor(), checked);
  return trace;
}

export function buildNetwork<S>(name: string, registration: NetworkRegistration<S>, options: BuildOptions): tfl.LayersModel {
  const checked = checkOptions<S>(name, options, registration.switches);
  registration.define(new Trace(name, checked.input).inputTensor(), checked);
  const input = tfl.input({ shape: checked.input, name: 'input' });
  const { logits, aux = [], auxWeight = 0 } = registration.define(input, checked);
  const outputs = [logits, ...aux] as tfl.SymbolicTensor[];
  const model = tfl.model({ inputs: input, outputs: outputs.length === 1 ? outputs[0] : outputs, name });
  const metadata: ModelMetadata = {
    cvb: {
      model: name,
      outputs: outputs.map((t) => t.sourceLayer.name),
      lossWeights: [1, ...aux.map(() => auxWeight)],
    },
  };
  model.setUserDefinedMetadata(metadata);
  return model;
}

export function registerNetwork<S>(name: string, registration: NetworkRegistration<S>): void {
  registerModel(
    name,
    (options) => buildNetwork(name, registration, options),
    { ...registration.meta, switches: registration.switches },
    (options) => traceNetwork(name, registration, options),
  );
}

/**
 * Whether the model's first output already is a softmax (probabilities); otherwise it gives logits,
 * and training, prediction and evaluation apply the softmax themselves.
 */
export function endsInSoftmax(model: tfl.LayersModel): boolean {
  const last = model.outputLayers[0] ?? model.layers[model.layers.length - 1];
  return (last.getConfig() as { activation?: string }).activation === 'softmax';
}

/** The loss weight of each output of a zoo model: [1] or [1, auxWeight, ...]. */
export function outputLossWeights(model: tfl.LayersModel): number[] {
  const metadata = model.getUserDefinedMetadata() as Partial<ModelMetadata> | undefined;
  return metadata?.cvb?.lossWeights ?? model.outputs.map((_, i) => (i === 0 ? 1 : 0));
}

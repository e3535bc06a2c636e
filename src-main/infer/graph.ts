/**
 * Runs a functional TF.js model layer by layer, so that an intermediate activation can be read
 * (feature maps, squeeze-excitation gates) or shifted by a tensor `delta` whose gradient is the
 * gradient of the output with respect to that activation (Grad-CAM). Skip connections are
 * honoured: every layer reads the tensors its inbound node names, as `model.predict` does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';

export interface GraphRunOptions {
  /** Layers whose outputs are returned in `taps`. */
  taps?: string[];
  /** Adds `delta` to this layer's output before the rest of the network reads it. */
  inject?: { layer: string; delta: tf.Tensor };
}

export interface GraphRun {
  outputs: tf.Tensor[];
  taps: Map<string, tf.Tensor>;
}

/** The layer names `runGraph` can tap, in execution order. */
export function layerOrder(model: LayersModel): string[] {
  return model.layers.map((layer) => layer.name);
}

export function runGraph(model: LayersModel, input: tf.Tensor, options: GraphRunOptions = {}): GraphRun {
  const values = new Map<number, tf.Tensor>();
  values.set(model.inputs[0].id, input);
  const wanted = new Set(options.taps ?? []);
  const taps = new Map<string, tf.Tensor>();
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = layer.inboundNodes[0];
    const inputs = node.inputTensors.map((symbolic: SymbolicTensor) => {
      const value = values.get(symbolic.id);
      if (!value) throw new Error(`layer ${layer.name} reads a tensor no earlier layer produced`);
      return value;
    });
    const result = layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false }) as tf.Tensor | tf.Tensor[];
    let outputs = Array.isArray(result) ? result : [result];
    if (wanted.has(layer.name)) taps.set(layer.name, outputs[0]);
    if (options.inject?.layer === layer.name) outputs = [tf.add(outputs[0], options.inject.delta), ...outputs.slice(1)];
    node.outputTensors.forEach((symbolic: SymbolicTensor, i: number) => values.set(symbolic.id, outputs[i]));
  }
  const outputs = model.outputs.map((symbolic) => {
    const value = values.get(symbolic.id);
    if (!value) throw new Error('the model output was not produced');
    return value;
  });
  return { outputs, taps };
}

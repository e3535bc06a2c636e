/**
 * A data-parallel replica (see replicas.ts): a worker thread with its own single-threaded backend and
 * a copy of the run's model. Each step it takes the training thread's weights from the shared
 * buffer, computes the loss and gradients of its share of the batch, and writes the gradients to its
 * own shared buffer. Its dropout masks draw from a stream seeded by the run's seed, the step and the
 * replica's index, so the same step always draws the same masks, on a resume too.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../engine';
import { buildTrainingModel, lossSpecOf, shareGradients, type LossSpec } from './loop';
import { Mulberry32, replicaStepSeed, withMathRandom } from './random';
import type { FromReplica, ToReplica } from './replicas';

interface Ready {
  index: number;
  seed: number;
  input: [number, number, number];
  model: LayersModel;
  variables: tf.Variable[];
  offsets: number[];
  spec: LossSpec;
  weights: Float32Array;
  gradients: Float32Array;
}

let ready: Ready | null = null;

function send(message: FromReplica): void {
  parentPort!.postMessage(message);
}

async function init(message: Extract<ToReplica, { type: 'init' }>): Promise<void> {
  await initBackend(message.backend, { threads: 1 });
  const { config } = message;
  const model = buildTrainingModel(config, message.input, message.classes, config.modelOptions);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const shapes = variables.map((v) => v.shape.join('×'));
  const expected = message.shapes.map((shape) => shape.join('×'));
  if (shapes.join(',') !== expected.join(',')) {
    throw new Error(`its model's variables (${shapes.length}: ${shapes.slice(0, 4).join(', ')}, ...) differ from the training thread's (${expected.length}: ${expected.slice(0, 4).join(', ')}, ...)`);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const variable of variables) {
    offsets.push(offset);
    offset += variable.size;
  }
  ready = {
    index: message.index,
    seed: config.seed,
    input: message.input,
    model,
    variables,
    offsets,
    spec: lossSpecOf(config, model, message.classes),
    weights: new Float32Array(message.weights),
    gradients: new Float32Array(message.gradients),
  };
}

function step(message: Extract<ToReplica, { type: 'step' }>): FromReplica {
  if (!ready) throw new Error('a step arrived before the replica was ready');
  const { model, variables, offsets, spec, weights, gradients } = ready;
  tf.tidy(() => {
    variables.forEach((variable, j) => variable.assign(tf.tensor(weights.subarray(offsets[j], offsets[j] + variable.size), variable.shape)));
  });
  const random = new Mulberry32(replicaStepSeed(ready.seed, message.step, ready.index));
  const figures = withMathRandom(random.next, () =>
    tf.tidy(() => {
      const x = tf.tensor4d(message.pixels, [message.labels.length, ...ready!.input]);
      const y = tf.tensor1d(message.labels, 'int32');
      const { value, counts, grads } = shareGradients(model, variables, spec, x, y);
      grads.forEach((grad, j) => gradients.set(grad.dataSync() as Float32Array, offsets[j]));
      const values = [value, ...counts].map((t) => t.dataSync()[0]);
      tf.dispose(counts);
      return values;
    }),
  );
  return { type: 'done', step: message.step, loss: figures[0], correct: figures[1], correct5: figures[2], tensors: tf.memory().numTensors };
}

parentPort?.on('message', (message: ToReplica) => {
  if (message.type === 'init') {
    init(message).then(
      () => send({ type: 'ready' }),
      (error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
  } else {
    try {
      send(step(message));
    } catch (error) {
      send({ type: 'failed', message: `at step ${message.step + 1}: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
});

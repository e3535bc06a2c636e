/**
 * UnsortedSegmentSum for the wasm backend: the gradient of gather (embedding lookups, tf.gather on
 * weights). Rows whose segment id is out of range are dropped, as in TensorFlow.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackend } from './heap';

export function unsortedSegmentSum(args: {
  inputs: { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { numSegments: number };
}): tf.TensorInfo {
  const { backend } = args;
  const { x, segmentIds } = args.inputs;
  const { numSegments } = args.attrs;
  const idCount = tf.util.sizeFromShape(segmentIds.shape);
  const rowSize = idCount === 0 ? 0 : tf.util.sizeFromShape(x.shape) / idCount;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const sums = new Float64Array(numSegments * rowSize);
  const values = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  for (let i = 0; i < idCount; i++) {
    const segment = ids[i];
    if (segment < 0 || segment >= numSegments) continue;
    const from = i * rowSize;
    const to = segment * rowSize;
    for (let k = 0; k < rowSize; k++) sums[to + k] += values[from + k];
  }
  const out = x.dtype === 'int32' ? Int32Array.from(sums) : Float32Array.from(sums);
  return backend.makeOutput(outShape, x.dtype, undefined, out);
}

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, stockWasmBatchMatMul, WASM_GRADIENT_KERNELS } from '../../../src-main/engine';
import { chooseForm } from '../../../src-main/engine/wasm-kernels/batch-matmul';
import { onBackend, relativeError, seededValues } from './helpers';

const TOLERANCE = 1e-5;
const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

beforeAll(async () => {
  await initBackend('wasm');
});

/** Shapes of a and b before transposition: op(a) is [..., M, K], op(b) is [..., K, N]. */
interface Case {
  name: string;
  aBatch: number[];
  bBatch: number[];
  m: number;
  k: number;
  n: number;
}

const CASES: Case[] = [
  { name: 'unbatched 5×7·7×3', aBatch: [], bBatch: [], m: 5, k: 7, n: 3 },
  { name: 'unbatched 33×65·65×17', aBatch: [], bBatch: [], m: 33, k: 65, n: 17 },
  // Shapes where the cheaper form differs: (op(B)ᵀ·op(A)ᵀ)ᵀ for a large transposed operand.
  { name: 'unbatched 48×64·64×2', aBatch: [], bBatch: [], m: 48, k: 64, n: 2 },
  { name: 'unbatched 2×64·64×48', aBatch: [], bBatch: [], m: 2, k: 64, n: 48 },
  { name: 'unbatched 64×2·2×64', aBatch: [], bBatch: [], m: 64, k: 2, n: 64 },
  { name: 'unbatched row vector 1×40·40×9', aBatch: [], bBatch: [], m: 1, k: 40, n: 9 },
  { name: 'rank 3 with batch 1 (as tf.fused.matMul passes)', aBatch: [1], bBatch: [1], m: 6, k: 11, n: 4 },
  { name: 'batched 3 × (4×9·9×5)', aBatch: [3], bBatch: [3], m: 4, k: 9, n: 5 },
  { name: 'batch of a against one b (rank 3 · rank 2)', aBatch: [4], bBatch: [], m: 3, k: 8, n: 6 },
  { name: 'one a against a batch of b (rank 2 · rank 3)', aBatch: [], bBatch: [4], m: 3, k: 8, n: 6 },
  { name: 'broadcast batch dims [2,1] with [3]', aBatch: [2, 1], bBatch: [3], m: 5, k: 4, n: 7 },
  { name: 'broadcast batch dims [1,3] with [2,1]', aBatch: [1, 3], bBatch: [2, 1], m: 2, k: 6, n: 3 },
];

function operands(c: Case, transposeA: boolean, transposeB: boolean): { aShape: number[]; bShape: number[] } {
  return {
    aShape: [...c.aBatch, ...(transposeA ? [c.k, c.m] : [c.m, c.k])],
    bShape: [...c.bBatch, ...(transposeB ? [c.n, c.k] : [c.k, c.n])],
  };
}

/**
 * op(a)·op(b). The reference broadcasts the batch dimensions explicitly first: the cpu backend's
 * kernel only broadcasts when one operand has a single matrix.
 */
function product(c: Case, transposeA: boolean, transposeB: boolean, reference = false): () => tf.Tensor[] {
  const { aShape, bShape } = operands(c, transposeA, transposeB);
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(c.aBatch, c.bBatch);
  return () => {
    let a = tf.tensor(seededValues(tf.util.sizeFromShape(aShape), 3 * c.m + c.k), aShape);
    let b = tf.tensor(seededValues(tf.util.sizeFromShape(bShape), 5 * c.n + c.k), bShape);
    if (reference) {
      a = tf.broadcastTo(a, [...outBatch, ...aShape.slice(-2)]);
      b = tf.broadcastTo(b, [...outBatch, ...bShape.slice(-2)]);
    }
    return [tf.matMul(a, b, transposeA, transposeB)];
  };
}

describe('the project wasm BatchMatMul matches the cpu backend', () => {
  it('replaces the stock kernel and keeps it for comparison', () => {
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).toBe(WASM_GRADIENT_KERNELS.BatchMatMul.kernelFunc);
    expect(stockWasmBatchMatMul()).not.toBeNull();
  });

  for (const c of CASES) {
    for (const [transposeA, transposeB] of TRANSPOSES) {
      it(`${c.name}, transposeA=${transposeA}, transposeB=${transposeB}`, async () => {
        const [expected] = await onBackend('cpu', product(c, transposeA, transposeB, true));
        await tf.setBackend('wasm');
        const result = tf.tidy(() => product(c, transposeA, transposeB)()[0]);
        const outBatch = tf.backend_util.assertAndGetBroadcastShape(c.aBatch, c.bBatch);
        expect(result.shape).toEqual([...outBatch, c.m, c.n]);
        expect(relativeError(result.dataSync(), expected)).toBeLessThanOrEqual(TOLERANCE);
        result.dispose();
      });
    }
  }

  it('Dense gradients through tf.matMul and tf.fused.matMul (bias, relu)', async () => {
    const compute = () => {
      const x = tf.tensor2d(seededValues(8 * 96, 41), [8, 96]);
      const w = tf.tensor2d(seededValues(96 * 40, 42), [96, 40]);
      const bias = tf.tensor1d(seededValues(40, 43));
      const dy = tf.tensor2d(seededValues(8 * 40, 44), [8, 40]);
      const plain = tf.grads((input: tf.Tensor, weights: tf.Tensor) => tf.matMul(input as tf.Tensor2D, weights as tf.Tensor2D))([x, w], dy);
      const fused = tf.grads((input: tf.Tensor, weights: tf.Tensor, b: tf.Tensor) =>
        tf.fused.matMul({ a: input as tf.Tensor2D, b: weights as tf.Tensor2D, bias: b, activation: 'relu' }))([x, w, bias], dy);
      return [...plain, ...fused];
    };
    const cpu = await onBackend('cpu', compute);
    const wasm = await onBackend('wasm', compute);
    cpu.forEach((expected, i) => expect(relativeError(wasm[i], expected)).toBeLessThanOrEqual(TOLERANCE));
  });

  it('an empty inner dimension gives zeros, an empty outer one an empty result', async () => {
    await tf.setBackend('wasm');
    const zeros = tf.tidy(() => tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4])));
    expect(zeros.shape).toEqual([3, 4]);
    expect(Array.from(zeros.dataSync())).toEqual(new Array(12).fill(0));
    const empty = tf.tidy(() => tf.matMul(tf.ones([0, 5]), tf.ones([5, 2]), false, false));
    expect(empty.shape).toEqual([0, 2]);
    tf.dispose([zeros, empty]);
  });

  it('rejects mismatched inner dimensions like the stock kernel', async () => {
    await tf.setBackend('wasm');
    const a = tf.ones([2, 3]);
    const b = tf.ones([4, 2]);
    const backend = tf.backend();
    const kernel = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    expect(() => kernel({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } })).toThrow(/inner shapes \(3\) and \(4\)/);
    tf.dispose([a, b]);
  });
});

describe('the project wasm BatchMatMul', () => {
  it('computes dx = dy·Wᵀ as (W·dyᵀ)ᵀ and dW = xᵀ·dy directly for a 9216→4096 Dense layer at batch 32', () => {
    const x = 32 * 9216;
    const w = 9216 * 4096;
    const dy = 32 * 4096;
    expect(chooseForm(false, true, dy, w, x)).toBe('transposed');
    expect(chooseForm(true, false, x, dy, w)).toBe('direct');
    expect(chooseForm(false, false, x, w, dy)).toBe('direct');
  });

  it('the parity cases cover both forms for every transposition', () => {
    for (const [transposeA, transposeB] of TRANSPOSES.slice(1)) {
      const forms = new Set(
        CASES.map((c) => {
          const { aShape, bShape } = operands(c, transposeA, transposeB);
          return chooseForm(transposeA, transposeB, aShape.slice(-2).reduce((p, d) => p * d), bShape.slice(-2).reduce((p, d) => p * d), c.m * c.n);
        }),
      );
      expect([...forms].sort()).toEqual(['direct', 'transposed']);
    }
  });

  it('leaks neither tensors nor wasm heap buffers', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    for (const c of CASES) {
      for (const [transposeA, transposeB] of TRANSPOSES) {
        const { aShape, bShape } = operands(c, transposeA, transposeB);
        const a = tf.tensor(seededValues(tf.util.sizeFromShape(aShape), 1), aShape);
        const b = tf.tensor(seededValues(tf.util.sizeFromShape(bShape), 2), bShape);
        const tensors = tf.memory().numTensors;
        const buffers = backend.numDataIds();
        const result = tf.matMul(a, b, transposeA, transposeB);
        result.dataSync();
        expect(tf.memory().numTensors).toBe(tensors + 1);
        expect(backend.numDataIds()).toBe(buffers + 1);
        result.dispose();
        expect(tf.memory().numTensors).toBe(tensors);
        expect(backend.numDataIds()).toBe(buffers);
        tf.dispose([a, b]);
      }
    }
  });

  it('leaks nothing over a Dense training step', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const w = tf.variable(tf.tensor2d(seededValues(64 * 10, 7), [64, 10]));
    const x = tf.tensor2d(seededValues(16 * 64, 8), [16, 64]);
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(x, w))));
        w.assign(tf.sub(w, tf.mul(grads[w.name], 0.01)));
        return value;
      });
    step().dispose();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    for (let i = 0; i < 3; i++) step().dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
    tf.dispose([w, x]);
  });
});

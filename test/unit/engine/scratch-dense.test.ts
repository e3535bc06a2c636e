import { it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/engine';

function time(label: string, flops: number, f: () => tf.Tensor, reps = 3) {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const y = f();
    y.dataSync();
    ts.push(performance.now() - t0);
    y.dispose();
  }
  ts.sort((a, b) => a - b);
  const ms = ts[Math.floor(ts.length / 2)];
  console.log(`${label}: ${ms.toFixed(1)} ms, ${(flops / ms / 1e6).toFixed(2)} GFLOP/s  [${ts.map((t) => t.toFixed(0)).join(',')}]`);
}

it('baseline', async () => {
  await initBackend('wasm');
  for (const [M, K, N] of [[32, 9216, 4096], [32, 512, 10]]) {
    const x = tf.randomNormal([M, K]);
    const W = tf.randomNormal([K, N]);
    const dy = tf.randomNormal([M, N]);
    const flops = 2 * M * K * N;
    const reps = K > 1000 ? 3 : 50;
    time(`${K}->${N} fwd`, flops, () => tf.matMul(x, W), reps);
    time(`${K}->${N} fwd, fresh W`, flops, () => tf.tidy(() => tf.matMul(x, tf.add(W, 0))), reps);
    time(`${K}->${N} dW (tA)`, flops, () => tf.matMul(x, dy, true, false), reps);
    time(`${K}->${N} dx (tB)`, flops, () => tf.matMul(dy, W, false, true), reps);
    time(`${K}->${N} transpose W`, 0, () => tf.transpose(W), reps);
    time(`${K}->${N} add W`, 0, () => tf.add(W, 0), reps);
    tf.dispose([x, W, dy]);
  }
}, 600_000);

/**
 * The threaded wasm build under Node: its start-up, and what happens when one of its threads dies
 * (in a child process, since that ends the process).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultThreads, physicalCores } from '../../../src-main/engine';
import { THREAD_DIED } from '../../../src-main/engine/wasm-threads';
import { repoRoot } from '../helpers/build';

const childFile = join(repoRoot, 'dist', 'test-wasm-threads', 'child.mjs');

/**
 * The child starts wasm with two threads, checks a convolution against the single-threaded cpu
 * backend, then (by argv) lets one pool thread die: 'throw' gives it an entry point that traps,
 * 'terminate' ends it from outside. It prints what it saw; a hang would time the test out.
 */
const CHILD = `
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './src-main/engine';
const how = process.argv[2];
const report = await initBackend('wasm', { threads: 2 });
const x = tf.randomUniform([4, 12, 12, 8], -1, 1, 'float32', 1);
const w = tf.randomUniform([3, 3, 8, 8], -1, 1, 'float32', 2);
const onWasm = tf.conv2d(x, w, 1, 'same').dataSync();
const again = tf.conv2d(x, w, 1, 'same').dataSync();
const xv = x.dataSync().slice(); const wv = w.dataSync().slice();
await tf.setBackend('cpu');
const onCpu = tf.conv2d(tf.tensor4d(xv, [4, 12, 12, 8]), tf.tensor4d(wv, [3, 3, 8, 8]), 1, 'same').dataSync();
let worst = 0;
for (let i = 0; i < onCpu.length; i++) worst = Math.max(worst, Math.abs(onCpu[i] - onWasm[i]));
console.log(JSON.stringify({ threads: report.threads, worst, repeatable: onWasm.every((v, i) => v === again[i]) }));
await tf.setBackend('wasm');
const pool = tf.backend().wasm.PThread;
if (how === 'throw') pool.unusedWorkers[0].postMessage({ cmd: 'run', start_routine: 99999999, arg: 0, pthread_ptr: 0 });
if (how === 'terminate') void pool.runningWorkers[0].terminate();
if (how !== 'none') setInterval(() => tf.conv2d(x, w, 1, 'same').dataSync(), 50);
`;

beforeAll(async () => {
  await build({
    stdin: { contents: CHILD, resolveDir: repoRoot, loader: 'ts', sourcefile: 'child.ts' },
    outfile: childFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
});

const runChild = (how: string) => spawnSync(process.execPath, [childFile, how], { cwd: repoRoot, encoding: 'utf8', timeout: 50_000 });

describe('wasm with threads', () => {
  it('starts two threads and computes what the cpu backend computes, the same bits twice', () => {
    const child = runChild('none');
    expect(child.status, child.stderr).toBe(0);
    const seen = JSON.parse(child.stdout.trim()) as { threads: number; worst: number; repeatable: boolean };
    expect(seen.threads).toBe(2);
    expect(seen.worst).toBeLessThan(1e-4);
    expect(seen.repeatable).toBe(true);
  });

  it.each(['throw', 'terminate'])('ends the process with the reason when a thread dies (%s), never hangs', (how) => {
    const child = runChild(how);
    expect(child.error).toBeUndefined();
    expect(child.signal).toBe('SIGKILL');
    expect(child.stderr).toContain(THREAD_DIED);
    if (how === 'throw') expect(child.stderr).toContain('invalid index 99999999');
  });
});

describe('default thread count', () => {
  const block = (physical: number, core: number) => `processor\t: ${physical * 10 + core}\nphysical id\t: ${physical}\ncore id\t\t: ${core}\ncpu cores\t: 2\n`;

  it('counts physical cores, not hyper-threads, and leaves one for the UI', () => {
    // Two sockets of two cores, each core listed twice (hyper-threading): 4 physical cores.
    const cpuinfo = [block(0, 0), block(0, 0), block(0, 1), block(0, 1), block(1, 0), block(1, 0), block(1, 1), block(1, 1)].join('\n');
    expect(physicalCores(cpuinfo)).toBe(4);
    expect(defaultThreads(cpuinfo)).toBe(3);
  });

  it('is at least 1 on a single core', () => {
    expect(defaultThreads(block(0, 0))).toBe(1);
  });
});

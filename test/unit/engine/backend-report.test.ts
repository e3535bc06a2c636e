import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { BackendReportSchema } from '../../../src-main/contract';
import { initBackend, registerWasmGradientKernels, WASM_GRADIENT_KERNELS } from '../../../src-main/engine';

function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}
const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');
// Where the native backend is installed the ladder picks it, and the two wasm-fallback checks below do not apply.
if (nativeInstalled) console.log('backend-report: 2 tests skipped: @tensorflow/tfjs-node(-gpu) is installed, so the ladder does not fall back to wasm');

describe('initBackend', () => {
  it.skipIf(nativeInstalled)('picks wasm and says why tensorflow was passed over (only where tfjs-node is absent)', async () => {
    const report = await initBackend();
    expect(BackendReportSchema.parse(report)).toEqual(report);
    expect(report.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.device).toMatch(/WebAssembly/);
    expect(report.passedOver).toHaveLength(1);
    expect(report.passedOver[0].name).toBe('tensorflow');
    expect(report.passedOver[0].reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    expect(report.passedOver[0].reason).toMatch(/@tensorflow\/tfjs-node is not installed/);
  });

  it.skipIf(nativeInstalled)('throws an error naming the reason when the preferred backend is unavailable (only where tfjs-node is absent)', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow' is not available: .*not installed/);
  });

  it('honours a preferred backend and reports the better ones as not tried', async () => {
    const report = await initBackend('cpu');
    expect(report.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(report.passedOver.map((p) => p.name)).toEqual(['tensorflow', 'wasm']);
    expect(report.passedOver[0].reason).toMatch(/'cpu' was requested/);
    const wasm = await initBackend('wasm');
    expect(wasm.name).toBe('wasm');
    expect(wasm.passedOver).toEqual([{ name: 'tensorflow', reason: "not tried: backend 'wasm' was requested" }]);
  });

  it('registers the project wasm kernels once, replacing the stock input gradient', () => {
    registerWasmGradientKernels();
    registerWasmGradientKernels();
    for (const [kernelName, { kernelFunc }] of Object.entries(WASM_GRADIENT_KERNELS)) {
      expect(tf.getKernel(kernelName, 'wasm')?.kernelFunc).toBe(kernelFunc);
    }
  });
});

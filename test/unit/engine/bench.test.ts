import { describe, expect, it } from 'vitest';
import { benchKernels, initBackend } from '../../../src-main/engine';

describe('benchKernels', () => {
  it('measures forward and both gradients on wasm, with the stock input gradient for comparison', async () => {
    await initBackend('wasm');
    const results = await benchKernels({ quick: true, backends: ['wasm'], cases: ['conv'] });
    // 3 shapes × 2 strides × (forward with new weights, forward with packed weights, filter gradient,
    // input gradient, stock input gradient)
    expect(results).toHaveLength(30);
    expect(results.filter((r) => r.op === 'forward')).toHaveLength(6);
    expect(results.filter((r) => r.op === 'forwardPacked')).toHaveLength(6);
    for (const result of results) {
      expect(result.backend).toBe('wasm');
      expect(result.case).toBe('conv');
      expect(result.gflops).toBeGreaterThan(0);
      expect(result.milliseconds).toBeGreaterThan(0);
    }
    expect(results.filter((r) => r.implementation === 'stock' && r.op === 'inputGradient')).toHaveLength(6);
  });

  it('measures Dense forward, weight and input gradients on wasm, project against stock', async () => {
    await initBackend('wasm');
    const results = await benchKernels({ quick: true, backends: ['wasm'], cases: ['dense'] });
    // 2 shapes × batch 32 × (forward, weight gradient, input gradient) × (project, stock)
    expect(results).toHaveLength(12);
    const table = results.map((r) => `${r.shape} ${r.op} ${r.implementation}: ${r.milliseconds.toFixed(2)} ms, ${r.gflops.toFixed(2)} GFLOP/s (${r.repetitions})`);
    console.log(table.join('\n'));
    for (const result of results) {
      expect(result.case).toBe('dense');
      expect(result.stride).toBeUndefined();
      expect(result.gflops).toBeGreaterThan(0);
      expect(result.repetitions).toBeGreaterThan(0);
    }
    expect(new Set(results.map((r) => r.shape))).toEqual(new Set(['32×9216→4096', '32×512→10']));
    const gflops = (op: string, implementation: string) =>
      results.find((r) => r.shape === '32×9216→4096' && r.op === op && r.implementation === implementation)!.gflops;
    // The stock kernel's scalar loop is an order of magnitude slower; a loose bound keeps busy machines green.
    expect(gflops('weightGradient', 'project')).toBeGreaterThan(3 * gflops('weightGradient', 'stock'));
    expect(gflops('inputGradient', 'project')).toBeGreaterThan(3 * gflops('inputGradient', 'stock'));
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import { benchKernels, initBackend } from '../../../src-main/engine';

describe('benchKernels', () => {
  it('measures forward and both gradients on wasm, with the stock input gradient for comparison', async () => {
    await initBackend('wasm');
    const results = await benchKernels({ quick: true, backends: ['wasm'] });
    // 3 shapes × 2 strides × (forward, filter gradient, input gradient, stock input gradient)
    expect(results).toHaveLength(24);
    for (const result of results) {
      expect(result.backend).toBe('wasm');
      expect(result.gflops).toBeGreaterThan(0);
      expect(result.milliseconds).toBeGreaterThan(0);
    }
    expect(results.filter((r) => r.implementation === 'stock' && r.op === 'inputGradient')).toHaveLength(6);
  });
});

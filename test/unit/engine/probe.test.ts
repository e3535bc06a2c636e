import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { BackendReportSchema } from '../../../src-main/contract';
import { initBackend, probeBackend } from '../../../src-main/engine';

describe('probeBackend', () => {
  it('reports what initBackend reports, in the contract shape', async () => {
    const probed = await probeBackend();
    expect(BackendReportSchema.parse(probed)).toEqual(probed);
    expect(probed.name).toBe(tf.getBackend());
    expect(await initBackend()).toEqual(probed);
  });

  it('honours a preferred backend like initBackend', async () => {
    const probed = await probeBackend('cpu');
    expect(probed).toEqual(await initBackend('cpu'));
    expect(probed.name).toBe('cpu');
    // The report is plain data: it crosses a process boundary unchanged.
    expect(JSON.parse(JSON.stringify(probed))).toEqual(probed);
  });
});

import { describe, expect, it } from 'vitest';
import { ACTIVE_STATUSES, isActiveStatus, RunStatusSchema, recipeFitsModel, turbo } from '../../../src-main/contract';

describe('helpers both sides share', () => {
  it('counts queued and running, and nothing else, as active', () => {
    expect(RunStatusSchema.options.filter(isActiveStatus)).toEqual([...ACTIVE_STATUSES]);
    expect(ACTIVE_STATUSES).toEqual(['queued', 'running']);
  });

  it('colours low values blue, high values red, and clamps outside [0, 1] (Turbo)', () => {
    const [r0, , b0] = turbo(0.15);
    const [r1, , b1] = turbo(0.9);
    expect(b0).toBeGreaterThan(r0);
    expect(r1).toBeGreaterThan(b1);
    expect(turbo(-3)).toEqual(turbo(0));
    expect(turbo(7)).toEqual(turbo(1));
  });

  it('fits a recipe to a model by exact name or by a prefix ending in "*"', () => {
    expect(recipeFitsModel({ models: ['vgg*'] }, 'vgg16_bn')).toBe(true);
    expect(recipeFitsModel({ models: ['resnet18'] }, 'resnet18')).toBe(true);
    expect(recipeFitsModel({ models: ['resnet18'] }, 'resnet180')).toBe(false);
  });
});

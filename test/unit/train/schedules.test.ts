import { describe, expect, it } from 'vitest';
import { TrainConfigSchema, type ScheduleInput } from '../../../src-main/contract';
import { learningRateAt } from '../../../src-main/train/schedules';

const timing = { stepsPerEpoch: 10, totalSteps: 100 };
const rateAt = (schedule: ScheduleInput, step: number, warmupEpochs = 0) =>
  learningRateAt(TrainConfigSchema.parse({ model: 'm', epochs: 10, batchSize: 8, learningRate: 0.1, schedule, warmupEpochs }), step, timing);

describe('learning-rate schedules', () => {
  it('constant', () => {
    expect([0, 50, 99].map((s) => rateAt({ type: 'constant' }, s))).toEqual([0.1, 0.1, 0.1]);
  });

  it('step: ×gamma every stepEpochs epochs, at epoch boundaries', () => {
    const schedule = { type: 'step', stepEpochs: 2, gamma: 0.1 } as const;
    expect(rateAt(schedule, 19)).toBeCloseTo(0.1, 12);
    expect(rateAt(schedule, 20)).toBeCloseTo(0.01, 12);
    expect(rateAt(schedule, 39)).toBeCloseTo(0.01, 12);
    expect(rateAt(schedule, 40)).toBeCloseTo(0.001, 12);
  });

  it('multistep: ×gamma at each milestone epoch (PyTorch MultiStepLR)', () => {
    const schedule: ScheduleInput = { type: 'multistep', milestones: [2, 5], gamma: 0.5 };
    expect(rateAt(schedule, 19)).toBeCloseTo(0.1, 12);
    expect(rateAt(schedule, 20)).toBeCloseTo(0.05, 12);
    expect(rateAt(schedule, 49)).toBeCloseTo(0.05, 12);
    expect(rateAt(schedule, 50)).toBeCloseTo(0.025, 12);
  });

  it('cosine: from the base rate to the minimum over the run', () => {
    const schedule = { type: 'cosine', minLearningRate: 0.001 } as const;
    expect(rateAt(schedule, 0)).toBeCloseTo(0.1, 12);
    expect(rateAt(schedule, 50)).toBeCloseTo(0.001 + 0.099 / 2, 12);
    expect(rateAt(schedule, 25)).toBeCloseTo(0.001 + 0.099 * (1 + Math.cos(Math.PI / 4)) / 2, 12);
    expect(rateAt(schedule, 100)).toBeCloseTo(0.001, 12);
  });

  it('one-cycle: base/25 → base at 30% → base/25/1e4 at the last step (PyTorch OneCycleLR, cosine)', () => {
    const schedule = { type: 'onecycle' } as const;
    expect(rateAt(schedule, 0)).toBeCloseTo(0.004, 12);
    expect(rateAt(schedule, 29)).toBeCloseTo(0.1, 12);
    expect(rateAt(schedule, 99)).toBeCloseTo(0.004 / 1e4, 12);
    // Half way up: the cosine midpoint of the rise.
    expect(rateAt(schedule, 14.5)).toBeCloseTo((0.004 + 0.1) / 2, 12);
    // One-cycle has its own warm-up; warmupEpochs does not add another.
    expect(rateAt(schedule, 0, 1)).toBeCloseTo(0.004, 12);
  });

  it('linear warm-up scales the first epochs, then hands over to the schedule', () => {
    expect(rateAt({ type: 'constant' }, 0, 1)).toBeCloseTo(0.01, 12);
    expect(rateAt({ type: 'constant' }, 4, 1)).toBeCloseTo(0.05, 12);
    expect(rateAt({ type: 'constant' }, 9, 1)).toBeCloseTo(0.1, 12);
    expect(rateAt({ type: 'constant' }, 10, 1)).toBeCloseTo(0.1, 12);
    // Cosine starts after the warm-up.
    expect(rateAt({ type: 'cosine' }, 10, 1)).toBeCloseTo(0.1, 12);
    expect(rateAt({ type: 'cosine' }, 55, 1)).toBeCloseTo(0.05, 12);
  });
});

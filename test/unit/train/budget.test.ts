/**
 * A time budget (`maxMinutes`): the fit's arithmetic, and the loop on a clock that advances one
 * second per step, so what fits is known in advance: the steps taken, the scaled schedule, the
 * budget reported and checkpointed, an exact resume, and the hard stop when the estimate was short.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema, type EpochMetric, type StepMetric, type TrainConfig } from '../../../src-main/contract';
import { BUDGET_MARGIN, fitToBudget, VALIDATION_COST, type BudgetInput } from '../../../src-main/train/budget';
import { onBackend, stepLosses, tinyConvNet, tinyDataset, trainConfig, trainForTest } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'cvb-budget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fitToBudget', () => {
  const input: BudgetInput = {
    maxMinutes: 1,
    elapsedSeconds: 2,
    step: 11,
    calibrationSteps: 10,
    secondsPerStep: 0.5,
    batchSize: 16,
    stepsPerEpoch: 10,
    plannedSteps: 1000,
    validationImages: 0,
    validationBatchSize: 64,
  };

  it('keeps the plan, at scale 1, when it fits', () => {
    const fit = fitToBudget({ ...input, plannedSteps: 100 });
    // 89 more steps at 0.5 s: 44.5 s of the 58.2 s left of 60 s less the margin and the 2 s spent.
    expect(fit.fittedSteps).toBe(100);
    expect(fit.scheduleScale).toBe(1);
  });

  it('fits whole epochs when two or more fit: (60 × 0.97 − 2) / 0.5 = 112 more steps, to step 123, ends at 120', () => {
    expect(BUDGET_MARGIN).toBe(0.03);
    const fit = fitToBudget(input);
    expect(fit.fittedSteps).toBe(120);
    expect(fit.plannedSteps).toBe(1000);
    expect(fit.scheduleScale).toBeCloseTo(0.12, 12);
    expect(fit.validationSeconds).toBe(0);
  });

  it('counts a validation pass at each epoch end, from the same speed', () => {
    // 640 validation images at batch 64: 10 batches of 64 images at 0.5/16 s an image, × 0.4.
    const fit = fitToBudget({ ...input, validationImages: 640 });
    expect(fit.validationSeconds).toBeCloseTo(640 * (0.5 / 16) * VALIDATION_COST, 12);
    // Each epoch of 10 steps costs 5 s + 8 s: to step 50 costs 39 × 0.5 + 4 passes = 19.5 + 32 = 51.5 s ≤ 56.2 s.
    expect(fit.fittedSteps).toBe(50);
  });

  it('ends at the step that fits when fewer than two epochs do', () => {
    const fit = fitToBudget({ ...input, stepsPerEpoch: 100 });
    expect(fit.fittedSteps).toBe(123);
  });

  it('never goes below the steps taken, when the budget is already spent', () => {
    const fit = fitToBudget({ ...input, elapsedSeconds: 120 });
    expect(fit.fittedSteps).toBe(11);
  });
});

describe('a run with a time budget (cpu, a clock of one second a step)', () => {
  beforeAll(() => onBackend('cpu'));
  // 48 images of 10 classes, a quarter of each class held out: 40 to train at batch 4, 10 steps an
  // epoch, 200 in 20 epochs; 8 to validate.
  const dataset = tinyDataset();
  const config = (overrides: Partial<TrainConfig> = {}): TrainConfig =>
    TrainConfigSchema.parse({
      ...trainConfig({ epochs: 20, batchSize: 4, optimizer: 'adam', learningRate: 0.01, schedule: { type: 'multistep', milestones: [10], gamma: 0.1 }, checkpointMinutes: 0 }),
      maxMinutes: 1,
      ...overrides,
    });

  /** A run on a clock that advances a second a step (or `secondsAtStep`), plus a jump at one step. */
  function train(
    runConfig: TrainConfig,
    opts: { killAfterStep?: number; resumeFrom?: string; jumpSecondsAtStep?: [number, number]; secondsAtStep?: (step: number) => number; data?: typeof dataset } = {},
  ) {
    let now = 0;
    return trainForTest(runConfig, opts.data ?? dataset, tinyConvNet(9, [8, 8, 3], 10, 0), dir, {
      killAtStep: opts.killAfterStep,
      resumeFrom: opts.resumeFrom,
      clock: () => now,
      onMetric: (event) => {
        if (event.type !== 'step') return;
        now += 1000 * (opts.secondsAtStep?.(event.step) ?? 1);
        if (opts.jumpSecondsAtStep?.[0] === event.step) now += opts.jumpSecondsAtStep[1] * 1000;
      },
    });
  }

  it('times ten steps after the first, then trains the whole epochs that fit, the schedule scaled to them', async () => {
    const { events, budgets, outcome } = await train(config());
    // At step 11, 11 s gone at 1 s a step; a validation pass (8 images, one batch of 64) costs
    // 64 × (1/4) × 0.4 = 6.4 s. 60 × 0.97 − 11 = 47.2 s left: to step 30, 19 s + 2 passes = 31.8 s;
    // step 40 would need 48.2 s. The steps that fit end inside epoch 4, so the run ends with epoch 3.
    expect(budgets).toHaveLength(1);
    expect(budgets[0]).toMatchObject({ maxMinutes: 1, calibrationSteps: 10, secondsPerStep: 1, plannedSteps: 200, fittedSteps: 30 });
    expect(budgets[0].validationSeconds).toBeCloseTo(6.4, 12);
    expect(budgets[0].scheduleScale).toBeCloseTo(0.15, 12);
    const steps = events.filter((e): e is StepMetric => e.type === 'step');
    expect(steps).toHaveLength(30);
    expect(outcome).toBe('completed');
    const epochs = events.filter((e): e is EpochMetric => e.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(epochs.every((e) => e.partial !== true)).toBe(true);
    // The milestone at epoch 10 of 20 lands at half of the 30 steps: step 16 (1-based) is the first at lr / 10.
    expect(steps[14].learningRate).toBeCloseTo(0.01, 12);
    expect(steps[15].learningRate).toBeCloseTo(0.001, 12);
  });

  it('fits again at the end of the first epoch, from the steady speed of the steps since the first fit; the same fit later changes nothing', async () => {
    // 160 images: 120 to train at batch 4, 30 steps an epoch, 600 in 20; 40 to validate (one batch of 64).
    // Steps 1-11 take 1 s, then 0.25 s. The first fit, at step 11 with 2 minutes: 116.4 − 11 = 105.4 s
    // left at 1 s a step and 6.4 s a validation: to step 90 (3 epochs). At step 30, the end of epoch 1,
    // 19 steps have run at 0.25 s since: 116.4 − 15.75 = 100.65 s left, at 0.25 s a step and 1.6 s a
    // validation, reach step 360 (12 epochs; step 361 would need 101.95 s). Step 30 is within the first
    // third of both plans (90 and 360), so the second fit is kept.
    const { events, budgets } = await train(config({ maxMinutes: 2 }), {
      secondsAtStep: (step) => (step <= 11 ? 1 : 0.25),
      data: tinyDataset(160),
    });
    expect(budgets).toHaveLength(2);
    expect(budgets[0]).toMatchObject({ calibrationSteps: 10, secondsPerStep: 1, plannedSteps: 600, fittedSteps: 90 });
    expect(budgets[0].refitStep).toBeUndefined();
    expect(budgets[1]).toMatchObject({ calibrationSteps: 19, secondsPerStep: 0.25, plannedSteps: 600, fittedSteps: 360, refitStep: 30 });
    expect(budgets[1].scheduleScale).toBeCloseTo(0.6, 12);
    const steps = events.filter((e): e is StepMetric => e.type === 'step');
    expect(steps).toHaveLength(360);
    expect(events.filter((e): e is EpochMetric => e.type === 'epoch').map((e) => e.epoch)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // The milestone at epoch 10 of 20 had not come under the first fit (step 45) and moves to step 180.
    expect(steps.slice(0, 180).every((s) => Math.abs(s.learningRate - 0.01) < 1e-12)).toBe(true);
    expect(steps[180].learningRate).toBeCloseTo(0.001, 12);
  });

  it('fits again at each epoch end while the run is in its first third, timing the steps after each validation', async () => {
    // As above, but steps 12-30 take 0.5 s and only then 0.25 s. At step 30: 116.4 − 20.5 = 95.9 s
    // left, 18.2 s an epoch (15 s of steps, a 3.2 s validation): 6 epochs, 180 steps. The steps after
    // epoch 1's validation are timed anew: at step 60, 29 of them at 0.25 s, 116.4 − 28 = 88.4 s left,
    // 9.1 s an epoch: 11 epochs, 330 steps (3 × 60 is within a third of 180 and of 330, so it is kept).
    // At step 90 the fit is again 330, which changes nothing; at step 120 the run is past its first third.
    const { events, budgets } = await train(config({ maxMinutes: 2 }), {
      secondsAtStep: (step) => (step <= 11 ? 1 : step <= 30 ? 0.5 : 0.25),
      data: tinyDataset(160),
    });
    expect(budgets.map((b) => [b.fittedSteps, b.refitStep, b.calibrationSteps, b.secondsPerStep])).toEqual([
      [90, undefined, 10, 1],
      [180, 30, 19, 0.5],
      [330, 60, 29, 0.25],
    ]);
    const steps = events.filter((e): e is StepMetric => e.type === 'step');
    expect(steps).toHaveLength(330);
    // The milestone at epoch 10 of 20: step 45 under the first fit, 90 under the second, 165 under the third.
    expect(steps.slice(0, 165).every((s) => Math.abs(s.learningRate - 0.01) < 1e-12)).toBe(true);
    expect(steps[165].learningRate).toBeCloseTo(0.001, 12);
  });

  it('keeps the first fit when the first epoch ends past a third of the run', async () => {
    // 10 steps an epoch, 1 s each throughout: the fit at step 11 gives 30 steps; the first epoch end
    // with ten steps since is step 30, the run's end, so nothing is refitted.
    const { budgets } = await train(config(), { secondsAtStep: () => 1 });
    expect(budgets.map((b) => [b.fittedSteps, b.refitStep])).toEqual([[30, undefined]]);
  });

  it('trains the plan unchanged when it fits in the budget', async () => {
    const { events, budgets } = await train(config({ epochs: 2, maxMinutes: 10 }));
    expect(budgets[0]).toMatchObject({ plannedSteps: 20, fittedSteps: 20, scheduleScale: 1 });
    expect(events.filter((e) => e.type === 'step')).toHaveLength(20);
  });

  it('resumes a budgeted run from a checkpoint inside an epoch on the same steps and losses (within 1e-5)', async () => {
    const whole = stepLosses((await train(config())).events);
    // Checkpoints every 6 s of the clock: the first inside an epoch after step 21 is in epoch 3.
    const killed = await train(config({ checkpointMinutes: 0.1 }), { killAfterStep: 21 });
    expect(killed.saved).toHaveLength(1);
    const [checkpoint] = killed.saved;
    expect(checkpoint.budget?.fittedSteps).toBe(30);
    expect(checkpoint.epoch).toBe(2);
    expect(checkpoint.batchInEpoch).toBeGreaterThan(0);
    const resumed = await train(config({ checkpointMinutes: 0.1 }), { resumeFrom: join(dir, 'last') });
    // The fit is the checkpoint's: no second one, the same 30 steps and the same scaled schedule.
    expect(resumed.budgets).toHaveLength(0);
    const losses = [...stepLosses(killed.events).slice(0, checkpoint.step), ...stepLosses(resumed.events)];
    expect(losses).toHaveLength(whole.length);
    expect(Math.max(...losses.map((loss, i) => Math.abs(loss - whole[i])))).toBeLessThanOrEqual(1e-5);
  });

  it('ends at the budget when the steps turn out slower than timed', async () => {
    // After the fit, step 25 takes 60 s more: the minute is gone, and the run ends there, its epoch partial.
    const { events, outcome } = await train(config(), { jumpSecondsAtStep: [25, 60] });
    expect(events.filter((e) => e.type === 'step')).toHaveLength(25);
    expect(outcome).toBe('completed');
    const last = events.filter((e): e is EpochMetric => e.type === 'epoch').pop()!;
    expect(last.partial).toBe(true);
  });

  it('refuses a budget that is not a positive number of minutes, naming what it received', () => {
    for (const maxMinutes of [0, -1, 20_000]) {
      const parsed = TrainConfigSchema.safeParse({ ...trainConfig(), maxMinutes });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0].path).toEqual(['maxMinutes']);
    }
  });
});

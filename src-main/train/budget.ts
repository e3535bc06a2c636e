/**
 * A run with a time budget (`maxMinutes`): after timing its first steps the loop asks how many
 * steps fit, and scales the schedule to them. Pure arithmetic, so the fit is tested without a clock.
 */
import type { BudgetFit } from '../contract';

/** Steps timed after the first (which builds the graph and warms the kernels). */
export const CALIBRATION_STEPS = 10;
/** The budget kept free for what the estimate misses (checkpoints, slower late batches). */
export const BUDGET_MARGIN = 0.03;
/** A validation image costs about this much of a training image (a forward pass, no gradients). */
export const VALIDATION_COST = 0.4;

export interface BudgetInput {
  maxMinutes: number;
  /** Seconds since the loop started (the timed steps included). */
  elapsedSeconds: number;
  /** Steps taken so far, and how many of them were timed. */
  step: number;
  calibrationSteps: number;
  secondsPerStep: number;
  batchSize: number;
  stepsPerEpoch: number;
  /** What the run would train without a budget (epochs × steps per epoch, or maxSteps). */
  plannedSteps: number;
  /** Images in a validation pass, and the batch size it runs at. */
  validationImages: number;
  validationBatchSize: number;
}

/** Validation passes run after the epochs that end within steps (step, total], a last partial epoch included. */
function validationsBetween(step: number, total: number, stepsPerEpoch: number): number {
  const wholeEnds = Math.floor(total / stepsPerEpoch) - Math.floor(step / stepsPerEpoch);
  return wholeEnds + (total % stepsPerEpoch !== 0 && total > step ? 1 : 0);
}

/**
 * The steps that fit in what is left of the budget, each at the timed speed plus a validation pass
 * at each epoch end. When two or more epochs fit the run ends at an epoch end (so its last epoch is
 * validated whole and can be the best checkpoint); below that, at the step that fits. Never more than
 * planned, never fewer than already taken.
 */
export function fitToBudget(input: BudgetInput): BudgetFit {
  const { step, stepsPerEpoch, plannedSteps, secondsPerStep } = input;
  const validationSeconds =
    Math.ceil(input.validationImages / input.validationBatchSize) * input.validationBatchSize * (secondsPerStep / input.batchSize) * VALIDATION_COST;
  const available = input.maxMinutes * 60 * (1 - BUDGET_MARGIN) - input.elapsedSeconds;
  const cost = (total: number) => (total - step) * secondsPerStep + validationsBetween(step, total, stepsPerEpoch) * validationSeconds;
  let fitted: number;
  if (cost(plannedSteps) <= available) {
    fitted = plannedSteps;
  } else {
    // cost() grows with total: the largest total in [step, plannedSteps) within the budget.
    let low = step;
    let high = plannedSteps - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (cost(middle) <= available) low = middle;
      else high = middle - 1;
    }
    fitted = low;
    if (fitted >= 2 * stepsPerEpoch) fitted -= fitted % stepsPerEpoch;
  }
  fitted = Math.max(fitted, step, 1);
  return {
    maxMinutes: input.maxMinutes,
    calibrationSteps: input.calibrationSteps,
    secondsPerStep,
    validationSeconds,
    plannedSteps,
    fittedSteps: fitted,
    scheduleScale: Math.min(1, fitted / plannedSteps),
  };
}

/**
 * The learning rate of every step. Epoch-based schedules (step, multistep) change the rate at epoch
 * boundaries, as PyTorch's StepLR and MultiStepLR stepped once per epoch; cosine and one-cycle
 * change it every step (one-cycle follows PyTorch's OneCycleLR with cosine annealing). A linear
 * warm-up, when asked for, scales the first steps' rate by (step + 1) / warm-up steps.
 */
import type { TrainConfig } from '../contract';

export interface ScheduleTiming {
  stepsPerEpoch: number;
  totalSteps: number;
}

type ScheduleConfig = Pick<TrainConfig, 'learningRate' | 'schedule' | 'warmupEpochs'>;

/** Cosine interpolation from `start` (pct 0) to `end` (pct 1). */
function cosineBetween(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * Math.min(Math.max(pct, 0), 1)) + 1);
}

export function warmupSteps(config: ScheduleConfig, timing: ScheduleTiming): number {
  if (config.schedule.type === 'onecycle') return 0;
  return Math.min(Math.round(config.warmupEpochs * timing.stepsPerEpoch), timing.totalSteps);
}

/**
 * The learning rate of the optimizer step with 0-based index `step`.
 */
export function learningRateAt(config: ScheduleConfig, step: number, timing: ScheduleTiming): number {
  const base = config.learningRate;
  const schedule = config.schedule;
  const epoch = Math.floor(step / Math.max(timing.stepsPerEpoch, 1));
  const warmup = warmupSteps(config, timing);
  let rate: number;
  switch (schedule.type) {
    case 'constant':
      rate = base;
      break;
    case 'step':
      rate = base * schedule.gamma ** Math.floor(epoch / schedule.stepEpochs);
      break;
    case 'multistep':
      rate = base * schedule.gamma ** schedule.milestones.filter((milestone) => epoch >= milestone).length;
      break;
    case 'cosine': {
      const span = Math.max(timing.totalSteps - warmup, 1);
      rate = cosineBetween(base, Math.min(schedule.minLearningRate, base), (step - warmup) / span);
      break;
    }
    case 'onecycle': {
      const initial = base / schedule.divFactor;
      const final = initial / schedule.finalDivFactor;
      const peakStep = schedule.pctStart * timing.totalSteps - 1;
      const lastStep = timing.totalSteps - 1;
      if (step <= peakStep) rate = cosineBetween(initial, base, peakStep > 0 ? step / peakStep : 1);
      else rate = cosineBetween(base, final, lastStep > peakStep ? (step - peakStep) / (lastStep - peakStep) : 1);
      break;
    }
  }
  return step < warmup ? (rate * (step + 1)) / warmup : rate;
}

import type { MetricEvent, RunStatus, SwitchValue } from '../../../src-main/contract';
import { TrainConfigSchema } from '../../../src-main/contract';
import type { RunView } from '../../../src-main/experiments/analysis';
import type { ExperimentRecord } from '../../../src-main/experiments/store';

export const BASE = TrainConfigSchema.parse({ model: 'resnet20', epochs: 2, batchSize: 16, learningRate: 0.01 });

/** A record with one run per arm and seed, named `<arm>-<seed>`. */
export function recordOf(values: SwitchValue[], seeds: number, extra: Partial<ExperimentRecord> = {}): ExperimentRecord {
  return {
    schemaVersion: 1,
    id: 'exp-test-0001',
    name: 'test',
    builtin: null,
    createdAt: '2026-12-05T08:00:00.000Z',
    state: 'active',
    error: null,
    base: BASE,
    vary: { field: 'activation', values },
    seeds,
    firstSeed: 42,
    metric: 'valAccuracy',
    arms: values.map((value) => ({ value, config: { ...BASE, modelOptions: { activation: value } }, runs: Array.from({ length: seeds }, (_, s) => `${String(value)}-${s}`) })),
    claims: [],
    figure: null,
    ...extra,
  };
}

/** A completed two-epoch run whose validation accuracy ends at `final`. */
export function runWith(final: number, status: RunStatus = 'completed'): RunView {
  const metrics: MetricEvent[] = [];
  for (let step = 1; step <= 10; step++) {
    metrics.push({ type: 'step', step, epoch: step <= 5 ? 1 : 2, loss: 2 - final - step * 0.01, accuracy: final * (step / 10), learningRate: 0.01, imagesPerSec: 100, time: step });
    if (step % 5 === 0) {
      const epoch = step / 5;
      metrics.push({ type: 'epoch', epoch, step, trainLoss: 1, trainAccuracy: final, valLoss: 1 - final, valAccuracy: epoch === 2 ? final : final - 0.1, time: step });
    }
  }
  return { status, metrics };
}

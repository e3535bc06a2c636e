/**
 * What an experiment's runs say: per arm the mean ± standard deviation of each curve (the bands),
 * the final and best metric with 95% confidence intervals, the paired difference between arms with
 * its interval, and one plain sentence that agrees or disagrees with the paper's claim.
 */
import {
  higherIsBetter,
  isBeyondNoise,
  pairedDifference,
  summarize,
  type ArmResult,
  type ArmStats,
  type Band,
  type Difference,
  type EpochMetric,
  type ExperimentDetail,
  type ExperimentMetric,
  type ExperimentStatus,
  type ExperimentSummary,
  type MetricEvent,
  type PaperClaim,
  type RunStatus,
  type StepMetric,
  type SwitchValue,
  type Verdict,
} from '../contract';
import { Mulberry32 } from '../train/random';
import type { ExperimentRecord } from './store';

export interface RunView {
  status: RunStatus;
  metrics: MetricEvent[];
}

/** A run of the experiment as the store has it; null when its folder is gone. */
export type ReadRun = (id: string) => RunView | null;

/** Points of a step curve: the batch losses are averaged in this many bins. */
const STEP_BINS = 40;
const TERMINAL: readonly RunStatus[] = ['completed', 'failed'];

const epochEvents = (metrics: MetricEvent[]): EpochMetric[] => metrics.filter((m): m is EpochMetric => m.type === 'epoch');
const stepEvents = (metrics: MetricEvent[]): StepMetric[] => metrics.filter((m): m is StepMetric => m.type === 'step');

function epochValue(event: EpochMetric, metric: ExperimentMetric): number | null {
  return event[metric];
}

function finalValue(metrics: MetricEvent[], metric: ExperimentMetric): number | null {
  const values = epochEvents(metrics).map((e) => epochValue(e, metric)).filter((v): v is number => v !== null);
  return values.length ? values[values.length - 1] : null;
}

function bestValue(metrics: MetricEvent[], metric: ExperimentMetric): number | null {
  const values = epochEvents(metrics).map((e) => epochValue(e, metric)).filter((v): v is number => v !== null);
  if (!values.length) return null;
  return higherIsBetter(metric) ? Math.max(...values) : Math.min(...values);
}

function armStats(metric: ExperimentMetric, values: (number | null)[]): ArmStats {
  const present = values.filter((v): v is number => v !== null);
  if (!present.length) return { metric, values, mean: null, std: null, ci95: null };
  const s = summarize(present);
  return { metric, values, mean: s.mean, std: s.std, ci95: s.ci95 };
}

/** Mean and std across seeds, point by point; `points` gives each seed's curve as x → value. */
function band(curves: Map<number, number>[]): Band {
  const xs = [...new Set(curves.flatMap((c) => [...c.keys()]))].sort((a, b) => a - b);
  const result: Band = { x: [], mean: [], std: [], n: [] };
  for (const x of xs) {
    const values = curves.map((c) => c.get(x)).filter((v): v is number => v !== undefined);
    const s = summarize(values);
    result.x.push(x);
    result.mean.push(s.mean);
    result.std.push(values.length > 1 ? s.std : 0);
    result.n.push(values.length);
  }
  return result;
}

function stepCurve(metrics: MetricEvent[], key: 'loss' | 'accuracy', binSize: number): Map<number, number> {
  const sums = new Map<number, { sum: number; count: number }>();
  for (const event of stepEvents(metrics)) {
    const x = Math.ceil(event.step / binSize) * binSize;
    const entry = sums.get(x) ?? { sum: 0, count: 0 };
    entry.sum += event[key];
    entry.count += 1;
    sums.set(x, entry);
  }
  return new Map([...sums].map(([x, { sum, count }]) => [x, sum / count]));
}

function epochCurve(metrics: MetricEvent[], metric: ExperimentMetric): Map<number, number> {
  const curve = new Map<number, number>();
  for (const event of epochEvents(metrics)) {
    const value = epochValue(event, metric);
    if (value !== null) curve.set(event.epoch, value);
  }
  return curve;
}

/** How an arm value reads in a sentence: "sigmoid", "batchNorm on", "labelSmoothing = 0.1". */
export function armLabel(field: string, value: SwitchValue): string {
  if (typeof value === 'boolean') return `${field} ${value ? 'on' : 'off'}`;
  if (typeof value === 'number') return `${field} = ${value}`;
  return value;
}

function formatNumber(value: number, unit: Verdict['unit']): string {
  return unit === 'points' ? value.toFixed(1) : value.toFixed(3);
}

/** The sentence of a verdict, in English (the renderer says the same from the parts in its language). */
export function verdictSentence(field: string, verdict: Omit<Verdict, 'sentence'>, ci95: [number, number] | null, estimate: number | null): string {
  const arm = armLabel(field, verdict.arm);
  const baseline = armLabel(field, verdict.baseline);
  const after = verdict.after.steps !== null ? `after ${verdict.after.steps} steps` : `after ${verdict.after.epochs} epoch${verdict.after.epochs === 1 ? '' : 's'}`;
  const unit = verdict.unit === 'points' ? ' points' : '';
  const measure = verdict.unit === 'points' ? '' : ' in loss';
  let sentence: string;
  if (verdict.kind === 'pending') {
    sentence = `${arm} against ${baseline}: not enough paired runs yet (${verdict.pairs} of 2 needed)`;
  } else if (verdict.kind === 'noise') {
    const interval = ci95 ? `, 95% CI ${formatNumber(scale(ci95[0], verdict.unit), verdict.unit)} to ${formatNumber(scale(ci95[1], verdict.unit), verdict.unit)}` : '';
    sentence = `no difference beyond noise between ${arm} and ${baseline} ${after} (difference ${formatNumber(scale(estimate ?? 0, verdict.unit), verdict.unit)}${unit}${interval}; ${verdict.pairs} seeds, paired)`;
  } else {
    sentence = `${arm} is ${formatNumber(verdict.magnitude!, verdict.unit)} ± ${formatNumber(verdict.halfWidth!, verdict.unit)}${unit} ${verdict.kind}${measure} than ${baseline} ${after} (${verdict.pairs} seeds, paired, 95% CI)`;
  }
  if (verdict.paper === 'agrees') sentence += ': agrees with the paper';
  else if (verdict.paper === 'disagrees') sentence += ': the opposite of what the paper found';
  else if (verdict.paper === 'unconfirmed') sentence += ": does not confirm the paper's claim at this scale";
  return sentence;
}

function scale(value: number, unit: Verdict['unit']): number {
  return unit === 'points' ? value * 100 : value;
}

function whenOf(arms: ArmResult[], runs: Map<string, RunView | null>): Verdict['after'] {
  for (const arm of arms) {
    for (const id of arm.runs) {
      const view = runs.get(id);
      if (view?.status !== 'completed') continue;
      const epochs = epochEvents(view.metrics);
      const last = epochs[epochs.length - 1];
      if (!last) continue;
      return last.partial ? { epochs: null, steps: last.step } : { epochs: last.epoch, steps: null };
    }
  }
  return { epochs: null, steps: null };
}

function compare(
  record: ExperimentRecord,
  arms: ArmResult[],
  armIndex: number,
  baselineIndex: number,
  claim: PaperClaim | null,
  after: Verdict['after'],
): Difference {
  const metric = record.metric;
  const a = arms[baselineIndex].final.values;
  const b = arms[armIndex].final.values;
  const pairs = a.map((v, i) => [v, b[i]] as const).filter((pair): pair is readonly [number, number] => typeof pair[0] === 'number' && typeof pair[1] === 'number');
  const random = new Mulberry32(pairs.length);
  const diff = pairedDifference(pairs.map((p) => p[0]), pairs.map((p) => p[1]), () => random.next());
  const unit: Verdict['unit'] = higherIsBetter(metric) ? 'points' : 'loss';
  const estimate = pairs.length ? diff.estimate : null;
  let kind: Verdict['kind'] = 'pending';
  if (diff.ci95) {
    const improves = higherIsBetter(metric) ? diff.estimate > 0 : diff.estimate < 0;
    kind = isBeyondNoise(diff) ? (improves ? 'better' : 'worse') : 'noise';
  }
  let paper: Verdict['paper'] = null;
  if (claim && kind !== 'pending') {
    // The comparison is always claim.worse (arm) against claim.better (baseline).
    paper = kind === 'worse' ? 'agrees' : kind === 'better' ? 'disagrees' : 'unconfirmed';
  }
  const half = diff.ci95 ? (diff.ci95[1] - diff.ci95[0]) / 2 : null;
  const parts: Omit<Verdict, 'sentence'> = {
    kind,
    arm: arms[armIndex].value,
    baseline: arms[baselineIndex].value,
    magnitude: estimate === null ? null : Math.abs(scale(estimate, unit)),
    halfWidth: half === null ? null : scale(half, unit),
    unit,
    after,
    pairs: pairs.length,
    paper,
    claim,
  };
  const sentence = verdictSentence(record.vary.field, parts, diff.ci95, estimate);
  return {
    metric,
    arm: parts.arm,
    baseline: parts.baseline,
    estimate,
    ci95: diff.ci95,
    method: diff.method,
    pairs: pairs.length,
    p: diff.p,
    verdict: sentence,
    details: { ...parts, sentence },
  };
}

export function experimentStatus(record: ExperimentRecord, statusOf: (id: string) => RunStatus | null): { status: ExperimentStatus; done: number; total: number } {
  const total = record.arms.length * record.seeds;
  let done = 0;
  let failed = 0;
  let running = false;
  for (const arm of record.arms) {
    for (const id of arm.runs.slice(0, record.seeds)) {
      const status = id ? statusOf(id) : null;
      if (status && TERMINAL.includes(status)) done += 1;
      if (status === 'failed') failed += 1;
      if (status === 'running' || status === 'queued') running = true;
    }
  }
  if (done === total) return { status: failed ? 'failed' : 'completed', done, total };
  if (record.state === 'stopped') return { status: 'stopped', done, total };
  return { status: running ? 'running' : 'queued', done, total };
}

function sameValue(a: SwitchValue, b: SwitchValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The whole analysis of an experiment, from its record and its runs as they are now. */
export function analyzeExperiment(record: ExperimentRecord, readRun: ReadRun): ExperimentDetail {
  const runs = new Map<string, RunView | null>();
  for (const arm of record.arms) for (const id of arm.runs) if (id) runs.set(id, readRun(id));
  const maxStep = Math.max(1, ...[...runs.values()].flatMap((view) => (view ? stepEvents(view.metrics).map((s) => s.step) : [])));
  const binSize = Math.max(1, Math.ceil(maxStep / STEP_BINS));

  const arms: ArmResult[] = record.arms.map((arm) => {
    const seeds = Array.from({ length: record.seeds }, (_, k) => arm.runs[k] ?? null);
    const views = seeds.map((id) => (id ? runs.get(id) ?? null : null));
    const completed = views.map((view) => (view?.status === 'completed' ? view.metrics : null));
    const started = views.filter((view): view is RunView => view !== null).map((view) => view.metrics);
    return {
      value: arm.value,
      runs: seeds.filter((id): id is string => id !== null),
      statuses: views.filter((view): view is RunView => view !== null).map((view) => view.status),
      final: armStats(record.metric, completed.map((m) => (m ? finalValue(m, record.metric) : null))),
      best: armStats(record.metric, completed.map((m) => (m ? bestValue(m, record.metric) : null))),
      curves: {
        trainLoss: band(started.map((m) => stepCurve(m, 'loss', binSize))),
        trainAccuracy: band(started.map((m) => stepCurve(m, 'accuracy', binSize))),
        valLoss: band(started.map((m) => epochCurve(m, 'valLoss'))),
        valAccuracy: band(started.map((m) => epochCurve(m, 'valAccuracy'))),
      },
    };
  });

  const after = whenOf(arms, runs);
  const indexOf = (value: SwitchValue) => record.arms.findIndex((arm) => sameValue(arm.value, value));
  const differences: Difference[] = [];
  for (const claim of record.claims) {
    const worse = indexOf(claim.worse);
    const better = indexOf(claim.better);
    if (worse >= 0 && better >= 0) differences.push(compare(record, arms, worse, better, claim, after));
  }
  for (let i = 1; i < arms.length; i++) {
    const covered = differences.some((d) => (sameValue(d.arm, arms[i].value) && sameValue(d.baseline, arms[0].value)) || (sameValue(d.arm, arms[0].value) && sameValue(d.baseline, arms[i].value)));
    if (!covered) differences.push(compare(record, arms, i, 0, null, after));
  }
  const headline = record.claims.length
    ? differences[0] ?? null
    : differences.reduce<Difference | null>((best, d) => (best === null || Math.abs(d.estimate ?? 0) > Math.abs(best.estimate ?? 0) ? d : best), null);

  const { status, done, total } = experimentStatus(record, (id) => runs.get(id)?.status ?? null);
  const summary: ExperimentSummary = {
    id: record.id,
    name: record.name,
    builtin: record.builtin,
    model: record.arms[0].config.model,
    dataset: record.arms[0].config.dataset,
    status,
    createdAt: record.createdAt,
    vary: record.vary,
    seeds: record.seeds,
    metric: record.metric,
    done,
    total,
    verdict: headline?.verdict ?? null,
    error: record.error,
  };
  return {
    ...summary,
    base: record.base,
    arms,
    difference: headline,
    differences,
    claims: record.claims,
    figure: record.figure,
  };
}

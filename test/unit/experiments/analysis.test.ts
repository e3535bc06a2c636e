import { describe, expect, it } from 'vitest';
import { analyzeExperiment, armLabel, type RunView } from '../../../src-main/experiments/analysis';
import { Mulberry32 } from '../../../src-main/data/random';
import { recordOf, runWith } from './helpers';

function analyze(values: string[], finals: Record<string, number[]>, extra = {}) {
  const record = recordOf(values, finals[values[0]].length, extra);
  const runs = new Map<string, RunView>();
  for (const value of values) finals[value].forEach((final, seed) => runs.set(`${value}-${seed}`, runWith(final)));
  return analyzeExperiment(record, (id) => runs.get(id) ?? null);
}

/** Per-seed accuracies: a seed effect shared by both arms, plus small independent noise. */
function seeded(n: number, shift: number, seed: number): number[] {
  const random = new Mulberry32(seed);
  const seedEffect = Array.from({ length: n }, (_, i) => 0.8 + ((i * 37) % 7) * 0.01);
  return seedEffect.map((v) => v + shift + (random.next() - 0.5) * 0.01);
}

describe('experiment analysis', () => {
  it('arms identical up to seed: "no difference beyond noise"', () => {
    const detail = analyze(['relu', 'elu'], { relu: seeded(5, 0, 1), elu: seeded(5, 0, 2) });
    expect(detail.difference!.details.kind).toBe('noise');
    expect(detail.difference!.verdict).toMatch(/^no difference beyond noise between elu and relu after 2 epochs/);
    expect(detail.difference!.ci95![0]).toBeLessThan(0);
    expect(detail.difference!.ci95![1]).toBeGreaterThan(0);
  });

  it('an arm shifted by a known amount: the shift lies inside the interval and the sentence says by how much', () => {
    const detail = analyze(['relu', 'sigmoid'], { relu: seeded(3, 0, 3), sigmoid: seeded(3, -0.061, 4) });
    const d = detail.difference!;
    expect(d.ci95![0]).toBeLessThan(-0.061);
    expect(d.ci95![1]).toBeGreaterThan(-0.061);
    expect(d.details.kind).toBe('worse');
    expect(d.verdict).toMatch(/^sigmoid is 6\.\d ± \d\.\d points worse than relu after 2 epochs \(3 seeds, paired, 95% CI\)$/);
  });

  it("says whether it agrees with the paper's claim", () => {
    const claim = { better: 'relu', worse: 'sigmoid', en: 'ReLU trains faster.', zhCN: 'ReLU 训练更快。' };
    const agrees = analyze(['relu', 'sigmoid'], { relu: seeded(3, 0, 3), sigmoid: seeded(3, -0.05, 4) }, { claims: [claim] });
    expect(agrees.difference!.verdict).toMatch(/: agrees with the paper$/);
    const opposite = analyze(['relu', 'sigmoid'], { relu: seeded(3, 0, 3), sigmoid: seeded(3, 0.05, 4) }, { claims: [claim] });
    expect(opposite.difference!.details.paper).toBe('disagrees');
    const noise = analyze(['relu', 'sigmoid'], { relu: seeded(3, 0, 3), sigmoid: seeded(3, 0, 4) }, { claims: [claim] });
    expect(noise.difference!.verdict).toMatch(/does not confirm the paper's claim at this scale$/);
  });

  it('gives per-arm final and best statistics and mean ± std bands', () => {
    const detail = analyze(['relu', 'sigmoid'], { relu: [0.8, 0.82, 0.84], sigmoid: [0.7, 0.7, 0.7] });
    const relu = detail.arms[0];
    expect(relu.runs).toEqual(['relu-0', 'relu-1', 'relu-2']);
    expect(relu.final).toMatchObject({ metric: 'valAccuracy', values: [0.8, 0.82, 0.84] });
    expect(relu.final.mean).toBeCloseTo(0.82, 12);
    expect(relu.final.std).toBeCloseTo(0.02, 12);
    expect(relu.final.ci95![0]).toBeLessThan(0.82);
    expect(relu.curves.valAccuracy.x).toEqual([1, 2]);
    expect(relu.curves.valAccuracy.mean[1]).toBeCloseTo(0.82, 12);
    expect(relu.curves.valAccuracy.std[1]).toBeCloseTo(0.02, 12);
    expect(relu.curves.trainLoss.x.length).toBe(10);
    expect(detail.status).toBe('completed');
    expect(detail).toMatchObject({ done: 6, total: 6, vary: { field: 'activation', values: ['relu', 'sigmoid'] }, seeds: 3 });
  });

  it('one pair is not enough: pending, and unfinished runs do not count', () => {
    const record = recordOf(['relu', 'sigmoid'], 2);
    const views: Record<string, RunView> = { 'relu-0': runWith(0.8), 'sigmoid-0': runWith(0.7), 'relu-1': runWith(0.8, 'running') };
    const detail = analyzeExperiment(record, (id) => views[id] ?? null);
    expect(detail.difference!.details.kind).toBe('pending');
    expect(detail.difference!.ci95).toBeNull();
    expect(detail.status).toBe('running');
    expect(detail.arms[0].final.values).toEqual([0.8, null]);
  });

  it('a seed whose run has not started yet counts as missing, not as a pair', () => {
    const record = recordOf(['relu', 'sigmoid'], 3);
    record.arms[1].runs = ['sigmoid-0', 'sigmoid-1'];
    const views: Record<string, RunView> = { 'relu-0': runWith(0.8), 'relu-1': runWith(0.82), 'relu-2': runWith(0.81), 'sigmoid-0': runWith(0.7), 'sigmoid-1': runWith(0.71) };
    const detail = analyzeExperiment(record, (id) => views[id] ?? null);
    expect(detail.arms[1].final.values).toEqual([0.7, 0.71, null]);
    expect(detail.difference!.pairs).toBe(2);
    expect(detail.difference!.estimate).toBeCloseTo(-0.105, 12);
    expect(detail.difference!.verdict).not.toMatch(/NaN/);
  });

  it('labels arms in sentences', () => {
    expect(armLabel('batchNorm', true)).toBe('batchNorm on');
    expect(armLabel('labelSmoothing', 0.1)).toBe('labelSmoothing = 0.1');
    expect(armLabel('activation', 'sigmoid')).toBe('sigmoid');
  });
});

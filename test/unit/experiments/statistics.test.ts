import { describe, expect, it } from 'vitest';
import {
  bootstrapMeanInterval,
  isBeyondNoise,
  pairedDifference,
  std,
  studentTCdf,
  studentTQuantile,
  summarize,
} from '../../../src-main/contract/statistics';
import { Mulberry32 } from '../../../src-main/data/random';

// Reference values computed once with scipy 1.17.1 (Debian's python3-scipy):
//   scipy.stats.t.ppf(p, df), scipy.stats.t.cdf(x, df), scipy.stats.ttest_rel(b, a) and its
//   .confidence_interval(0.95), scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=sem).
const T_PPF: [p: number, df: number, value: number][] = [
  [0.975, 1, 12.706204736174694],
  [0.975, 2, 4.302652729749462],
  [0.975, 4, 2.7764451051977934],
  [0.975, 9, 2.262157162798205],
  [0.975, 29, 2.045229642132703],
  [0.025, 5, -2.5705818356363155],
  [0.995, 3, 5.840909309733355],
];
const A = [0.812, 0.798, 0.825, 0.806, 0.819];
const B = [0.751, 0.742, 0.77, 0.748, 0.76];
const TTEST_REL_B_A = { statistic: -54.134659909421444, pvalue: 6.970473467553916e-7, low: -0.06076443216506665, high: -0.05483556783493336, mean: -0.0578 };

describe('Student t', () => {
  it.each(T_PPF)('t.ppf(%s, %s) matches scipy', (p, df, value) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(value, 9);
  });

  it('t.cdf matches scipy', () => {
    expect(studentTCdf(1.5, 3)).toBeCloseTo(0.8847080673775886, 12);
    expect(studentTCdf(-2.2, 7)).toBeCloseTo(0.03186550765131839, 12);
  });
});

describe('summaries', () => {
  it('mean, sample std and the t interval of three values match scipy', () => {
    const s = summarize([0.61, 0.64, 0.59]);
    expect(s.mean).toBeCloseTo(0.6133333333333333, 12);
    expect(s.std).toBeCloseTo(0.025166114784235857, 12);
    expect(s.ci95![0]).toBeCloseTo(0.5508172385395755, 10);
    expect(s.ci95![1]).toBeCloseTo(0.675849428127091, 10);
  });

  it('one value has no interval', () => {
    expect(summarize([0.5]).ci95).toBeNull();
    expect(std([0.5])).toBe(0);
  });
});

describe('paired difference', () => {
  it('matches scipy ttest_rel and its confidence interval', () => {
    const d = pairedDifference(A, B);
    expect(d.method).toBe('t');
    expect(d.estimate).toBeCloseTo(TTEST_REL_B_A.mean, 12);
    expect(d.t!).toBeCloseTo(TTEST_REL_B_A.statistic, 8);
    expect(d.p!).toBeCloseTo(TTEST_REL_B_A.pvalue, 12);
    expect(d.ci95![0]).toBeCloseTo(TTEST_REL_B_A.low, 10);
    expect(d.ci95![1]).toBeCloseTo(TTEST_REL_B_A.high, 10);
    expect(isBeyondNoise(d)).toBe(true);
  });

  it('arms identical up to seed: the interval holds zero', () => {
    const random = new Mulberry32(7);
    const noise = () => (random.next() - 0.5) * 0.02;
    const seedEffect = [0.8, 0.78, 0.83, 0.79, 0.81];
    const a = seedEffect.map((v) => v + noise());
    const b = seedEffect.map((v) => v + noise());
    const d = pairedDifference(a, b);
    expect(d.ci95![0]).toBeLessThan(0);
    expect(d.ci95![1]).toBeGreaterThan(0);
    expect(isBeyondNoise(d)).toBe(false);
  });

  it('a known shift lies inside the interval, for the t interval and the bootstrap', () => {
    for (const n of [3, 5, 40]) {
      const random = new Mulberry32(n);
      const a = Array.from({ length: n }, () => 0.7 + random.next() * 0.1);
      const b = a.map((v) => v - 0.05 + (random.next() - 0.5) * 0.01);
      const d = pairedDifference(a, b, () => random.next());
      expect(d.method).toBe(n >= 30 ? 'bootstrap' : 't');
      expect(d.ci95![0]).toBeLessThan(-0.05);
      expect(d.ci95![1]).toBeGreaterThan(-0.05);
      expect(isBeyondNoise(d)).toBe(true);
    }
  });

  it('refuses samples of different lengths', () => {
    expect(() => pairedDifference([1, 2], [1])).toThrow(/same length/);
  });

  it('the bootstrap interval of a constant is that constant', () => {
    const random = new Mulberry32(1);
    expect(bootstrapMeanInterval([2, 2, 2, 2], () => random.next(), 500)).toEqual([2, 2]);
  });
});

/**
 * The statistics of an experiment: mean, standard deviation, 95% confidence intervals from
 * Student's t-distribution, paired differences (a t interval over seeds, a percentile bootstrap
 * when there are many), and the sentence that says what they mean. Pure: both the host (tables,
 * verdicts, reports) and the renderer (bands) use it.
 */

export const CONFIDENCE = 0.95;
/** From this many pairs on, the interval of a paired difference is a bootstrap instead of a t interval. */
export const BOOTSTRAP_MIN_PAIRS = 30;
export const BOOTSTRAP_RESAMPLES = 10_000;

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Sample standard deviation (n − 1 in the denominator); 0 for a single value. */
export function std(values: readonly number[]): number {
  if (values.length < 2) return values.length === 1 ? 0 : Number.NaN;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
}

// ---- Student's t-distribution -----------------------------------------------------------------

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to about 1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The quantile of Student's t (scipy's `t.ppf(p, df)`), by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return Number.NaN;
  if (p === 0.5) return 0;
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---- summaries --------------------------------------------------------------------------------

export interface Summary {
  n: number;
  mean: number;
  std: number;
  /** The 95% confidence interval of the mean (t-distribution); null with fewer than two values. */
  ci95: [number, number] | null;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  const m = mean(values);
  const s = std(values);
  if (n < 2) return { n, mean: m, std: s, ci95: null };
  const half = (studentTQuantile(1 - (1 - CONFIDENCE) / 2, n - 1) * s) / Math.sqrt(n);
  return { n, mean: m, std: s, ci95: [m - half, m + half] };
}

export interface PairedDifference {
  /** Pairs used (seeds where both arms have a result). */
  n: number;
  /** Mean of (b − a) over the pairs. */
  estimate: number;
  /** 95% interval of the mean difference; null with fewer than two pairs. */
  ci95: [number, number] | null;
  /** How the interval was made. */
  method: 't' | 'bootstrap' | 'none';
  /** The paired t statistic and its two-sided p-value (scipy's `ttest_rel(b, a)`); null when undefined. */
  t: number | null;
  p: number | null;
}

/**
 * The paired difference b − a: a t interval over the pairs, or with `BOOTSTRAP_MIN_PAIRS` pairs or
 * more a percentile bootstrap of the mean difference (`random` makes it reproducible).
 */
export function pairedDifference(a: readonly number[], b: readonly number[], random: () => number = Math.random): PairedDifference {
  if (a.length !== b.length) throw new Error(`paired samples must have the same length (${a.length} and ${b.length})`);
  const diffs = a.map((value, i) => b[i] - value);
  const n = diffs.length;
  const estimate = mean(diffs);
  if (n < 2) return { n, estimate, ci95: null, method: 'none', t: null, p: null };
  const s = std(diffs);
  const se = s / Math.sqrt(n);
  const t = se > 0 ? estimate / se : null;
  const p = t === null ? null : 2 * (1 - studentTCdf(Math.abs(t), n - 1));
  if (n >= BOOTSTRAP_MIN_PAIRS) return { n, estimate, ci95: bootstrapMeanInterval(diffs, random), method: 'bootstrap', t, p };
  const half = studentTQuantile(1 - (1 - CONFIDENCE) / 2, n - 1) * se;
  return { n, estimate, ci95: [estimate - half, estimate + half], method: 't', t, p };
}

/** Percentile bootstrap interval of the mean. */
export function bootstrapMeanInterval(values: readonly number[], random: () => number, resamples = BOOTSTRAP_RESAMPLES): [number, number] {
  const n = values.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)];
    means[r] = sum / n;
  }
  means.sort();
  const alpha = (1 - CONFIDENCE) / 2;
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return [at(alpha), at(1 - alpha)];
}

/** An interval excludes zero: the difference is beyond what the seeds' noise explains. */
export function isBeyondNoise(difference: Pick<PairedDifference, 'ci95'>): boolean {
  const ci = difference.ci95;
  return ci !== null && (ci[0] > 0 || ci[1] < 0);
}

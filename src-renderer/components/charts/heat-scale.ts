/**
 * The heat strip's colour scale: viridis (perceptually uniform, readable in grey and by most
 * colour-blind readers) over whole decades of the gradient norm.
 */
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [253, 231, 37],
];

/** The colour at `t` in [0, 1] (clamped). */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** A CSS gradient of the scale, for the legend. */
export function viridisGradient(direction = 'to right'): string {
  const stops = VIRIDIS.map(([r, g, b], i) => `rgb(${r} ${g} ${b}) ${Math.round((i / (VIRIDIS.length - 1)) * 100)}%`);
  return `linear-gradient(${direction}, ${stops.join(', ')})`;
}

/** Whole decades around [min, max] (at least one), so the colours only move when a new decade appears. */
export function decadeRange(min: number, max: number): { low: number; high: number } {
  if (!(min > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return { low: -3, high: 0 };
  const low = Math.floor(Math.log10(min));
  const high = Math.max(Math.ceil(Math.log10(max)), low + 1);
  return { low, high };
}

/** 1e-4 written for people: "10⁻⁴". */
export function formatDecade(exponent: number): string {
  const superscript: Record<string, string> = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
  return `10${String(exponent)
    .split('')
    .map((c) => superscript[c] ?? c)
    .join('')}`;
}

/** A gradient norm with three significant digits, in exponent form when far from 1. */
export function formatNorm(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  return value >= 1e-3 && value < 1e4 ? String(Number(value.toPrecision(3))) : value.toExponential(2);
}

/**
 * Google's Turbo colormap (Mikhailov, 2019) as its published polynomial fit: blue for 0, red for
 * 1, perceptually smoother than jet. The host's overlay PNG and the renderer's canvas both draw
 * with it, so a heatmap looks the same either way.
 */
export function turbo(x: number): [number, number, number] {
  const t = Math.min(Math.max(x, 0), 1);
  const r = 0.13572138 + t * (4.6153926 + t * (-42.66032258 + t * (132.13108234 + t * (-152.94239396 + t * 59.28637943))));
  const g = 0.09140261 + t * (2.19418839 + t * (4.84296658 + t * (-14.18503333 + t * (4.27729857 + t * 2.82956604))));
  const b = 0.1066733 + t * (12.64194608 + t * (-60.58204836 + t * (110.36276771 + t * (-89.90310912 + t * 27.34824973))));
  const byte = (v: number) => Math.round(Math.min(Math.max(v, 0), 1) * 255);
  return [byte(r), byte(g), byte(b)];
}

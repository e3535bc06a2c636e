/** Sizes on the Models screen: multiply-adds in G/M/K as papers quote them, bytes in binary units. */

export function formatMacs(value: number, locale: string): string {
  const format = (scaled: number, unit: string) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(scaled)} ${unit}`;
  if (value >= 1e9) return format(value / 1e9, 'G');
  if (value >= 1e6) return format(value / 1e6, 'M');
  if (value >= 1e3) return format(value / 1e3, 'K');
  return new Intl.NumberFormat(locale).format(value);
}

export function formatBytes(value: number, locale: string): string {
  const format = (scaled: number, unit: string) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(scaled)} ${unit}`;
  if (value >= 2 ** 30) return format(value / 2 ** 30, 'GiB');
  if (value >= 2 ** 20) return format(value / 2 ** 20, 'MiB');
  return format(value / 2 ** 10, 'KiB');
}

export function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}

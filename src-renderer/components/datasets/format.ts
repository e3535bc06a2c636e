/** Formatting for the Datasets screen: image sizes, byte counts and split totals. */
import type { DatasetInfo } from '../../../src-main/contract';
import { formatDuration, formatNumber } from '../../lib/format';

type Translate = (key: string, params?: Record<string, unknown>) => string;

/** H×W×C as the screen writes it. */
export function formatInput(input: readonly [number, number, number], t: Translate): string {
  const [height, width, channels] = input;
  return t('datasets.input', { height, width, channels });
}

/** Bytes in B, KB, MB or GB (powers of 1024), with at most one decimal. */
export function formatBytes(bytes: number | null | undefined, locale: string, t: Translate): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['bytes', 'kilobytes', 'megabytes', 'gigabytes'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = new Intl.NumberFormat(locale, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value);
  return t(`datasets.units.${units[unit]}`, { value: text });
}

/** How long an import took: tenths of a second under a minute, else minutes and seconds. */
export function formatImportDuration(milliseconds: number, locale: string, t: Translate): string {
  if (!Number.isFinite(milliseconds) || milliseconds < 0) return '—';
  if (milliseconds >= 60_000) return formatDuration(milliseconds / 1000, t);
  return t('datasets.units.seconds', { value: formatNumber(milliseconds / 1000, locale, 1) });
}

/** Images in the dataset's own validation split (older records leave it out). */
export function valCount(dataset: Pick<DatasetInfo, 'valCount'>): number {
  return dataset.valCount ?? 0;
}

/** Small images are drawn with hard pixel edges and scaled up to at least this many CSS pixels. */
export const MIN_THUMB_PX = 56;

/** The CSS size of a thumbnail for `size`-pixel images: a whole multiple for small ones. */
export function thumbSize(size: number): number {
  if (size >= MIN_THUMB_PX) return Math.min(size, 96);
  return size * Math.ceil(MIN_THUMB_PX / size);
}

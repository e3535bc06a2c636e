/** Saves bytes or a data URL as a file through the browser's download (Electron and browser mode alike). */
export function downloadDataUrl(url: string, filename: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.appendChild(link);
  link.click();
  link.remove();
}

export function downloadBase64(data: string, filename: string, type = 'application/octet-stream'): void {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  downloadDataUrl(url, filename);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Windows refuses these as file names whatever the extension. */
const RESERVED_NAMES = /^(con|prn|aux|nul|com\d|lpt\d)$/i;
/** Most file systems allow 255 bytes per name; leave room for the extension. */
const MAX_NAME_BYTES = 200;

/**
 * A file name for an exported chart from its parts (the chart's title and the run, in the UI's
 * language): letters and digits of any script are kept, everything else (path separators, the
 * characters Windows refuses, spaces, punctuation) becomes one dash, and the name is cut at a
 * character boundary to fit every common file system. "Loss", "resnet20 · sigmoid" gives
 * `loss-resnet20-sigmoid.png`; "损失" gives `损失-resnet20-sigmoid.png`.
 */
export function chartFileName(...parts: string[]): string {
  const joined = parts
    .map((part) => part.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{N}\p{M}]+/gu, '-'))
    .join('-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const encoder = new TextEncoder();
  let base = '';
  for (const character of joined) {
    if (encoder.encode(base + character).length > MAX_NAME_BYTES) break;
    base += character;
  }
  base = base.replace(/-$/, '');
  if (base === '') base = 'chart';
  return `${RESERVED_NAMES.test(base) ? `chart-${base}` : base}.png`;
}

/**
 * The chart as an opaque PNG: the theme's surface colour (the card behind the chart, never
 * transparent in either theme) painted under the canvas, so the picture reads the same in any
 * viewer or document, light or dark.
 */
export function opaquePngDataUrl(source: HTMLCanvasElement): string {
  const background = getComputedStyle(source).getPropertyValue('--surface').trim() || '#ffffff';
  const canvas = document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('cannot export the chart: this window has no 2D canvas');
  context.fillStyle = background;
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(source, 0, 0);
  return canvas.toDataURL('image/png');
}

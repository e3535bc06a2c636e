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

/** A file name from a chart title: letters, digits and dashes. */
export function chartFileName(title: string, suffix = ''): string {
  const base = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'chart';
  return `${base}${suffix}.png`;
}

/**
 * CSV cells that a spreadsheet reads as text: quoted when they hold a comma, quote or line break,
 * and text starting with = + - @ or a tab is prefixed with ' so it is never run as a formula
 * (OWASP "CSV injection"). Numbers are written as numbers.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRows(rows: (string | number | boolean | null | undefined)[][]): string {
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

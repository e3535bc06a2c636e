/**
 * CSV for spreadsheets, written one way for every export (metrics, predictions). RFC 4180 quoting,
 * and OWASP's advice against CSV injection: a text cell that starts with = + - @, a tab or a
 * carriage return gets a leading single quote, so a spreadsheet shows it as text instead of
 * running it as a formula (an image named `=HYPERLINK(...)` stays a name). Numbers are written as
 * numbers: a negative value is data, not a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\n\r]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows of cells as CSV text, one line each, ending in a line break. */
export function toCsv(rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** How the command line answers: JSON lines with --json, readable text otherwise; errors exit 2. */
import type { ApiError, BudgetFit } from '../contract';

export class UsageError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

export function invalid(field: string | undefined, message: string): UsageError {
  return new UsageError(field ? { code: 'invalid_request', field, message } : { code: 'invalid_request', message });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printError(error: ApiError, json: boolean): void {
  if (json) printJson({ error });
  else process.stderr.write(`cvb: ${error.message}\n`);
}

/** A fixed-width text table for people (`runs list`, `models`). */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return cells.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export function percent(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}

export function fixed(value: number | null, digits = 4): string {
  return value === null ? '-' : value.toFixed(digits);
}

type LineStream = Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };

/**
 * A progress line: on a terminal it rewrites itself in place; written to a file or a CI log (no TTY)
 * it becomes a plain line at most every `everyMs`, so a log holds readable lines, not one
 * carriage-return-joined line per run.
 */
export function progressLine(stream: LineStream, everyMs = 10_000, now: () => number = Date.now) {
  let shown = false;
  let lastAt = -Infinity;
  return {
    update(text: string): void {
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${text}`);
        shown = true;
      } else if (now() - lastAt >= everyMs) {
        stream.write(`${text}\n`);
        lastAt = now();
      }
    },
    /** Clears the line on a terminal, so what is printed next starts at the left margin. */
    clear(): void {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** One line on what a time budget fitted. */
export function describeBudget(fit: BudgetFit): string {
  const timed = `${fit.calibrationSteps} timed step${fit.calibrationSteps === 1 ? '' : 's'}`;
  const speed = `${fit.secondsPerStep.toFixed(3)} s a step over ${timed}${fit.refitStep ? `, refitted at step ${fit.refitStep}` : ''}`;
  if (fit.scheduleScale >= 1) return `time budget ${fit.maxMinutes} min: the planned ${fit.plannedSteps} steps fit (${speed})`;
  return `time budget ${fit.maxMinutes} min: ${fit.fittedSteps} of the planned ${fit.plannedSteps} steps fit (${speed}); the schedule was scaled by ${fit.scheduleScale.toFixed(3)}`;
}

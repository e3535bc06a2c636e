import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../src-main/cli/output';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, isTTY, write: (chunk: string) => written.push(chunk) > 0 };
}

describe('progressLine', () => {
  it('rewrites itself in place on a terminal and clears before other output', () => {
    const out = stream(true);
    const line = progressLine(out, 10_000, () => 0);
    line.update('step 1/3');
    line.update('step 2/3');
    line.clear();
    line.clear();
    expect(out.written).toEqual(['\r\x1b[Kstep 1/3', '\r\x1b[Kstep 2/3', '\r\x1b[K']);
  });

  it('writes whole lines, at most one per interval, when the output is a file or a pipe', () => {
    const out = stream(false);
    let now = 0;
    const line = progressLine(out, 10_000, () => now);
    line.update('step 1/100');
    now = 5_000;
    line.update('step 50/100');
    now = 10_000;
    line.update('step 100/100');
    line.clear();
    expect(out.written).toEqual(['step 1/100\n', 'step 100/100\n']);
    expect(out.written.join('')).not.toContain('\r');
  });
});

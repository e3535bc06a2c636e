import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../../src-main/contract';

describe('csvCell: the one CSV cell writer', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+cmd', "'+cmd"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
  ])('neutralises a text cell starting like a formula: %j', (value, written) => {
    expect(csvCell(value)).toBe(written);
  });

  it('quotes commas, quotes and line breaks, and writes numbers, booleans and empty values as data', () => {
    expect(csvCell('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(-0.25)).toBe('-0.25');
    expect(csvCell(true)).toBe('1');
    expect(csvCell(null)).toBe('');
    expect(toCsv([['a', 1], ['=b', undefined]])).toBe("a,1\n'=b,\n");
  });
});

import { describe, expect, it } from 'vitest';
import { csvCell } from '../../../src-main/contract';
import { analyzeExperiment, type RunView } from '../../../src-main/experiments/analysis';
import { experimentCsv, experimentHtml } from '../../../src-main/experiments/report';
import { recordOf, runWith } from './helpers';

function detail() {
  const record = recordOf(['relu', '=HYPERLINK("x")'], 3, { name: 'relu <b>vs</b> sigmoid' });
  const finals: Record<string, number> = { 'relu-0': 0.8, 'relu-1': 0.82, 'relu-2': 0.81 };
  return analyzeExperiment(record, (id): RunView => runWith(finals[id] ?? 0.7));
}

describe('experiment report', () => {
  it('HTML: self-contained, with a band chart per curve, the table and the verdict, text escaped', () => {
    const html = experimentHtml(detail());
    expect(html).toContain('<svg');
    expect((html.match(/<polygon /g) ?? []).length).toBe(8);
    expect(html).toContain('relu &lt;b&gt;vs&lt;/b&gt; sigmoid');
    expect(html).not.toContain('<b>vs</b>');
    expect(html).toMatch(/points worse than relu/);
    expect(html).toContain('81.00% ± 1.00');
    expect(html).not.toMatch(/(src|href)="http/);
  });

  it('CSV: one row per run, and text a spreadsheet would run as a formula is quoted as text', () => {
    const lines = experimentCsv(detail()).trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('experiment,arm,seed,run,status,final valAccuracy,best valAccuracy');
    expect(lines[1]).toBe('exp-test-0001,relu,42,relu-0,completed,0.8,0.8');
    expect(lines[4]).toMatch(/^exp-test-0001,"'=HYPERLINK\(""x""\)",42,/);
  });

  it('csvCell: numbers stay numbers, formulas become text', () => {
    expect(csvCell(-0.05)).toBe('-0.05');
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(null)).toBe('');
  });
});

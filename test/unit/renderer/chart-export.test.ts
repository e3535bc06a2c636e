// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { chartFileName } from '../../../src-renderer/components/charts/download';
import { createAppI18n } from '../../../src-renderer/i18n';

const CHART_TITLES = ['chart.loss', 'chart.accuracy', 'trainOptions.chart.learningRate', 'trainOptions.chart.gradNorms'];

describe('exported chart file names', () => {
  it("are made of the chart's title and the run's name", () => {
    expect(chartFileName('Loss', 'resnet20 · sigmoid')).toBe('loss-resnet20-sigmoid.png');
    expect(chartFileName('Learning rate', '')).toBe('learning-rate.png');
    expect(chartFileName('损失', 'resnet20 · sigmoid')).toBe('损失-resnet20-sigmoid.png');
  });

  it('differ for every chart in Chinese (they were all chart.png) and keep the translated title', () => {
    const { t } = createAppI18n('zh-CN').global;
    const names = CHART_TITLES.map((key) => chartFileName(t(key), 'resnet20'));
    expect(new Set(names).size).toBe(CHART_TITLES.length);
    for (const [index, name] of names.entries()) {
      expect(name).not.toBe('chart.png');
      expect(name.startsWith(chartFileName(t(CHART_TITLES[index])).replace(/\.png$/, ''))).toBe(true);
      expect(name).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('never hold a character a file system refuses, nor a reserved or empty name', () => {
    const name = chartFileName('a/b\\c:d*e?f"g<h>i|j', 'run\u0000\u001f\t. ..');
    expect(name).toBe('a-b-c-d-e-f-g-h-i-j-run.png');
    expect(chartFileName('', '')).toBe('chart.png');
    expect(chartFileName('···', '/')).toBe('chart.png');
    expect(chartFileName('CON')).toBe('chart-con.png');
    expect(chartFileName('Aux')).toBe('chart-aux.png');
  });

  it('fit in 255 bytes without cutting a character in half', () => {
    const name = chartFileName('损失'.repeat(100), 'résumé'.repeat(40));
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(255);
    expect(name).toMatch(/^(损失)+[损]?\.png$/u);
    const mixed = chartFileName('a', 'é'.normalize('NFD').repeat(300));
    expect(new TextEncoder().encode(mixed).length).toBeLessThanOrEqual(255);
    // NFD input is composed first, so no accent is split from its letter.
    expect(mixed).toMatch(/^a-é+\.png$/u);
  });
});

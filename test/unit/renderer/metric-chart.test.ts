// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import '../../../src-renderer/components/charts/chart-setup';
import RunCharts from '../../../src-renderer/components/charts/RunCharts.vue';
import { createAppI18n } from '../../../src-renderer/i18n';
import { appendMetrics, clearMetricSeries, createMetricSeries } from '../../../src-renderer/lib/metric-series';
import { epochLine, stepLine } from './fake-client';

describe('metric charts', () => {
  beforeEach(() => {
    // jsdom has no 2D canvas: Chart.js then keeps a shell that cannot draw, which the chart tolerates.
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => vi.restoreAllMocks());

  it('exposes the number of plotted points, which grows as lines are appended', async () => {
    const series = createMetricSeries();
    const wrapper = mount(RunCharts, { props: { series, version: 0 }, global: { plugins: [createAppI18n('en')] } });
    const loss = () => wrapper.get('[data-testid="chart-loss"]').attributes('data-points');
    const accuracy = () => wrapper.get('[data-testid="chart-accuracy"]').attributes('data-points');
    expect([loss(), accuracy()]).toEqual(['0', '0']);

    appendMetrics(series, [stepLine(1), stepLine(2), epochLine(1, 2)]);
    await wrapper.setProps({ version: 1 });
    expect([loss(), accuracy()]).toEqual(['4', '4']);

    clearMetricSeries(series);
    await wrapper.setProps({ version: 2 });
    await nextTick();
    expect(loss()).toBe('0');
  });

  it('skips null validation values and repeated lines', () => {
    const series = createMetricSeries();
    appendMetrics(series, [{ ...epochLine(1, 5), valLoss: null, valAccuracy: null }, epochLine(1, 5), stepLine(4), stepLine(4)]);
    expect(series.trainLoss).toHaveLength(1);
    expect(series.valLoss).toHaveLength(0);
    expect(series.stepLoss).toHaveLength(1);
  });
});

// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils';
import { Chart } from 'chart.js';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrainConfigSchema, type EvalResult, type MetricEvent } from '../../../src-main/contract';
import { distinctDigits, distinctTick } from '../../../src-renderer/components/charts/chart-setup';
import CompareChart from '../../../src-renderer/components/compare/CompareChart.vue';
import HyperparameterTable from '../../../src-renderer/components/compare/HyperparameterTable.vue';
import { buildCurve, hyperparameterRows, smooth } from '../../../src-renderer/components/compare/series';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useCompareStore } from '../../../src-renderer/stores/compare';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import CompareView from '../../../src-renderer/views/CompareView.vue';
import { withCanvas } from './canvas';
import { detail, epochLine, settle, standardClient, stepLine, summary } from './fake-client';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

function longRun(points: number): MetricEvent[] {
  const lines: MetricEvent[] = [];
  for (let step = 1; step <= points; step++) {
    lines.push({ type: 'step', step, epoch: Math.ceil(step / 1000), loss: 2 / Math.sqrt(step) + Math.sin(step) * 0.05, accuracy: 0.5, learningRate: 0.1, imagesPerSec: 100, time: step * 10 });
  }
  return lines;
}

describe('compare curves', () => {
  it('maps steps to fractional epochs and wall time, and smooths without start-up bias', () => {
    const metrics: MetricEvent[] = [stepLine(1), stepLine(2), epochLine(1, 2), stepLine(3, 2), stepLine(4, 2), epochLine(2, 4)];
    expect(buildCurve(metrics, 'trainLoss', 'step').map((p) => p.x)).toEqual([1, 2, 3, 4]);
    expect(buildCurve(metrics, 'trainLoss', 'epoch').map((p) => p.x)).toEqual([0.5, 1, 1.5, 2]);
    expect(buildCurve(metrics, 'valLoss', 'epoch')).toEqual([{ x: 1, y: 1.1 }, { x: 2, y: 1.1 }]);
    expect(buildCurve(metrics, 'trainLoss', 'time')[0].x).toBe(0);
    const flat = smooth([{ x: 0, y: 5 }, { x: 1, y: 5 }, { x: 2, y: 5 }], 0.9);
    expect(flat.map((p) => p.y)).toEqual([5, 5, 5].map((v) => expect.closeTo(v, 10)));
    expect(smooth([{ x: 0, y: 1 }], 0)).toEqual([{ x: 0, y: 1 }]);
  });

  it('highlights the hyperparameters that differ', () => {
    const rows = hyperparameterRows([
      { model: 'resnet20', learningRate: 0.1, modelOptions: { se: true }, schedule: { type: 'cosine' } },
      { model: 'resnet20', learningRate: 0.1, modelOptions: { se: false }, schedule: { type: 'cosine' } },
    ]);
    expect(rows.filter((row) => row.differs).map((row) => row.key)).toEqual(['modelOptions.se']);
    expect(rows.find((row) => row.key === 'model')).toMatchObject({ values: ['resnet20', 'resnet20'], differs: false });
  });

  it('draws a 200,000-point run, decimated, and redraws when the smoothing changes', async () => {
    withCanvas();
    const runs = [
      { id: 'long', label: 'long run', metrics: longRun(200_000) },
      { id: 'short', label: 'short run', metrics: longRun(500) },
    ];
    const wrapper = mount(CompareChart, {
      props: { metric: 'trainLoss', runs, xAxis: 'step', smoothing: 0.6, logScale: false, version: 0 },
      global: { plugins: [createAppI18n('en')] },
      attachTo: document.body,
    });
    await flushPromises();
    const chart = Chart.getChart(wrapper.get('canvas').element)!;
    expect(chart).toBeDefined();
    expect(wrapper.get('[data-testid="compare-chart-trainLoss"]').attributes('data-points')).toBe('200500');
    // Decimation draws a few hundred points of the long curve, not 200,000.
    const drawn = chart.getDatasetMeta(0).data.length;
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(5000);
    await wrapper.setProps({ smoothing: 0.9, logScale: true });
    await flushPromises();
    expect(chart.options.scales!.y!.type).toBe('logarithmic');
    wrapper.unmount();
  }, 30_000);
});

describe('charts that never invent data', () => {
  it('draws the learning rate as it was set, whatever the smoothing; loss is smoothed', async () => {
    withCanvas();
    const metrics = longRun(300);
    const mountChart = async (metric: 'learningRate' | 'trainLoss') => {
      const wrapper = mount(CompareChart, {
        props: { metric, runs: [{ id: 'a', label: 'a', metrics }], xAxis: 'step', smoothing: 0.6, logScale: false, version: 0 },
        global: { plugins: [createAppI18n('en')] },
        attachTo: document.body,
      });
      await flushPromises();
      return { wrapper, chart: Chart.getChart(wrapper.get('canvas').element)! };
    };
    const rate = await mountChart('learningRate');
    expect(rate.chart.data.datasets).toHaveLength(1);
    expect((rate.chart.data.datasets[0].data as { y: number }[]).every((point) => point.y === 0.1)).toBe(true);
    expect(rate.wrapper.get('[data-testid="compare-unsmoothed-learningRate"]').text()).toBe('as set, never smoothed');
    rate.wrapper.unmount();
    const loss = await mountChart('trainLoss');
    const [smoothed, raw] = loss.chart.data.datasets.map((dataset) => (dataset.data as { y: number }[]).map((point) => point.y));
    expect(raw).toEqual(buildCurve(metrics, 'trainLoss', 'step').map((point) => point.y));
    expect(smoothed).not.toEqual(raw);
    expect(loss.wrapper.find('[data-testid="compare-unsmoothed-trainLoss"]').exists()).toBe(false);
    loss.wrapper.unmount();
  });

  it('labels y ticks with as many digits as it takes to tell them apart', () => {
    const ticks = [0.00099, 0.000995, 0.001, 0.001005, 0.00101].map((value) => ({ value }));
    const labels = ticks.map((tick, index) => distinctTick(tick.value, index, ticks));
    expect(new Set(labels).size).toBe(5);
    expect(labels).toEqual(['0.00099', '0.000995', '0.001', '0.001005', '0.00101']);
    expect(distinctDigits([0.5, 1, 1.5])).toBe(2);
    const wide = [0, 0.5, 1, 1.5, 2].map((value) => ({ value }));
    expect(wide.map((tick, index) => distinctTick(tick.value, index, wide))).toEqual(['0', '0.5', '1', '1.5', '2']);
  });
});

describe('the settings table', () => {
  const full = TrainConfigSchema.parse({
    model: 'resnet20',
    epochs: 3,
    batchSize: 32,
    learningRate: 0.1,
    optimizer: 'momentum',
    momentum: 0.9,
    maxSteps: 100,
    backend: 'wasm',
    weightDecay: 1e-4,
    epsilon: 1e-7,
    gradClipNorm: 5,
    auxLossWeight: 0.3,
    bestMetric: 'valAccuracy',
    modelOptions: { activation: 'sigmoid', batchNorm: false },
    schedule: { type: 'multistep', milestones: [2], gamma: 0.1 },
    earlyStopping: { patience: 3 },
    preset: { name: 'resnet-cifar-laptop', changed: ['epochs'] },
    augmentation: { randomCrop: { padding: 4 }, horizontalFlip: true, randomResizedCrop: { scale: [0.5, 1], ratio: [0.75, 1.33] }, colorJitter: { brightness: 0.2, contrast: 0.2, saturation: 0.2 } },
  });

  it('names every setting as the Train form does, in both languages, and counts the differences in words', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const wrapper = mount(HyperparameterTable, {
        props: { runs: [{ id: 'a', label: 'a', config: full }, { id: 'b', label: 'b', config: { ...full, modelOptions: { activation: 'relu', batchNorm: false } } }], onlyDifferences: false },
        global: { plugins: [createAppI18n(locale)] },
      });
      const rows = wrapper.findAll('tbody tr');
      expect(rows.length).toBeGreaterThan(25);
      for (const row of rows) expect(row.get('th').text(), row.get('th').attributes('title')).not.toBe(row.get('th').attributes('title'));
      if (locale === 'en') {
        expect(wrapper.get('[data-testid="hyperparameter-summary"]').text()).toBe('1 setting differs (highlighted).');
        expect(wrapper.get('[data-testid="hp-modelOptions.activation"] th').text()).toBe('Switch: Activation');
        expect(wrapper.get('[data-testid="hp-decayNormAndBias"] th').text()).toBe('Also decay batch-norm and bias parameters');
      }
    }
  });
});

/** Charts without a canvas (jsdom) and a fresh store for each Compare screen test. */
function compareSetup() {
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  vi.spyOn(console, 'error').mockImplementation(() => {});
  const pinia = createPinia();
  setActivePinia(pinia);
  return pinia;
}

describe('Compare screen', () => {
  it('loads the chosen runs, highlights the differing switch, and shows confusion matrices side by side', async () => {
    const pinia = compareSetup();
    const base = detail().config!;
    const evaluation = (runId: string): EvalResult => ({
      runId, checkpoint: 'best', epoch: 1, step: 2, dataset: 'd', classes: ['a', 'b'], count: 4, accuracy: 0.5, top5: null,
      perClass: [{ class: 'a', precision: 0.5, recall: 0.5, support: 2 }, { class: 'b', precision: 0.5, recall: 0.5, support: 2 }],
      confusion: [[1, 1], [1, 1]], evaluatedAt: '2025-01-01T00:00:00Z', ms: 1,
    });
    const client = standardClient()
      .handle('runs.list', () => ({ ok: true, value: [summary({ id: 'se', name: 'SE on', status: 'completed' }), summary({ id: 'plain', status: 'completed' })] }))
      .handle('runs.get', (params) => {
        const id = (params as { id: string }).id;
        return { ok: true, value: detail({ id, status: 'completed', config: { ...base, modelOptions: { se: id === 'se' } } as never, metrics: [stepLine(1), stepLine(2), epochLine(1, 2)] }) };
      })
      .handle('runs.evaluation', (params) => ({ ok: true, value: (params as { id: string }).id === 'se' ? evaluation('se') : null }));
    useConnectionStore().attach(client);
    useCompareStore().choose(['se', 'plain']);
    const wrapper = mount(CompareView, { global: { plugins: [pinia, createAppI18n('en')] } });
    await settle(10);

    expect(wrapper.findAll('[data-testid^="compare-chart-"]')).toHaveLength(5);
    expect(wrapper.get('[data-testid="compare-chart-trainLoss"]').attributes('data-points')).toBe('4');
    expect(wrapper.get('[data-testid="hp-modelOptions.se"]').attributes('data-differs')).toBe('true');
    expect(wrapper.get('[data-testid="hp-model"]').attributes('data-differs')).toBe('false');
    expect(wrapper.get('[data-testid="hyperparameter-summary"]').text()).toContain('1 setting differs');
    await wrapper.get('[data-testid="compare-only-differences"]').setValue(true);
    expect(wrapper.findAll('[data-testid^="hp-"]').map((row) => row.attributes('data-testid'))).toEqual(['hp-modelOptions.se']);
    expect(wrapper.find('[data-testid="compare-confusion-se"]').exists()).toBe(true);
    expect(wrapper.text()).toContain('Not evaluated yet.');
    expect(wrapper.get('[data-testid="results-table"]').text()).toContain('SE on');

    await wrapper.get('[data-testid="compare-x-axis"]').setValue('epoch');
    expect(useCompareStore().xAxis).toBe('epoch');
  });

  it('tells apart unnamed runs that share a name by the settings that differ among them, else by the id', async () => {
    const pinia = compareSetup();
    const base = detail().config!;
    // Three seeds of one recipe, and a fourth run identical to the third.
    const seeds: Record<string, number> = { 'run-aaaaaa': 1, 'run-bbbbbb': 2, 'run-cccccc': 3, 'run-dddddd': 3 };
    const client = standardClient()
      .handle('runs.list', () => ({ ok: true, value: Object.keys(seeds).map((id) => summary({ id, status: 'completed' })) }))
      .handle('runs.get', (params) => {
        const id = (params as { id: string }).id;
        return { ok: true, value: detail({ id, status: 'completed', config: { ...base, seed: seeds[id] }, metrics: [stepLine(1)] }) };
      })
      .handle('runs.evaluation', () => ({ ok: true, value: null }));
    useConnectionStore().attach(client);
    useCompareStore().choose(['run-aaaaaa', 'run-bbbbbb']);
    const wrapper = mount(CompareView, { global: { plugins: [pinia, createAppI18n('en')] } });
    await settle(10);
    const headers = () => wrapper.findAll('[data-testid="hyperparameter-table"] thead th').slice(1).map((th) => th.text());
    expect(headers()).toEqual(['resnet18 · Seed 1', 'resnet18 · Seed 2']);

    useCompareStore().choose(['run-cccccc', 'run-dddddd']);
    await settle(10);
    expect(headers()).toEqual(['resnet18 cccccc', 'resnet18 dddddd']);
  });

  it('names a differing switch as on or off, not true or false', async () => {
    const pinia = compareSetup();
    const base = detail().config!;
    const split: Record<string, boolean> = { 'run-aaaaaa': false, 'run-bbbbbb': true };
    const client = standardClient()
      .handle('runs.list', () => ({ ok: true, value: Object.keys(split).map((id) => summary({ id, status: 'completed' })) }))
      .handle('runs.get', (params) => {
        const id = (params as { id: string }).id;
        return { ok: true, value: detail({ id, status: 'completed', config: { ...base, dataParallel: split[id] }, metrics: [stepLine(1)] }) };
      })
      .handle('runs.evaluation', () => ({ ok: true, value: null }));
    useConnectionStore().attach(client);
    useCompareStore().choose(['run-aaaaaa', 'run-bbbbbb']);
    const wrapper = mount(CompareView, { global: { plugins: [pinia, createAppI18n('en')] } });
    await settle(10);
    const headers = wrapper.findAll('[data-testid="hyperparameter-table"] thead th').slice(1).map((th) => th.text());
    expect(headers).toEqual(['resnet18 · Split each batch across the threads: off', 'resnet18 · Split each batch across the threads: on']);
  });
});

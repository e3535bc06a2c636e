// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '../../../src-renderer/components/charts/chart-setup';
import RunCharts from '../../../src-renderer/components/charts/RunCharts.vue';
import RunDetail from '../../../src-renderer/components/runs/RunDetail.vue';
import StatusLine from '../../../src-renderer/components/StatusLine.vue';
import TrainProgress from '../../../src-renderer/components/train/TrainProgress.vue';
import { createAppI18n } from '../../../src-renderer/i18n';
import { appendMetrics, createMetricSeries } from '../../../src-renderer/lib/metric-series';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { useRunsStore } from '../../../src-renderer/stores/runs';
import { useSystemStore } from '../../../src-renderer/stores/system';
import { useTrainingStore } from '../../../src-renderer/stores/training';
import { configToForm, formToConfigInput } from '../../../src-renderer/lib/validation';
import { TrainConfigSchema } from '../../../src-main/contract';
import { detail, gradsLine, settle, standardClient, stepLine } from './fake-client';

function progress(step: number, metrics: unknown[]) {
  return {
    event: 'run.progress' as const,
    data: { runId: 'run-1', epoch: 1, epochs: 3, step, stepsPerEpoch: 10, totalSteps: 30, imagesPerSec: 250, etaSeconds: 12, metrics },
  } as Parameters<ReturnType<typeof standardClient>['emit']>[0];
}

describe('live charts of the training options', () => {
  beforeEach(() => {
    localStorage.clear();
    // jsdom has no 2D canvas: the charts keep their numbers and skip the drawing.
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => vi.restoreAllMocks());

  it('keeps grads lines as columns in the first line\'s layer order, without repeats', () => {
    const series = createMetricSeries();
    appendMetrics(series, [gradsLine(1), stepLine(1), gradsLine(2, { conv1: 0.4, block1_conv: 0, fc: 0.001, extra: 3 }), gradsLine(2)]);
    expect(series.grads.layers).toEqual(['conv1', 'block1_conv', 'fc', 'extra']);
    expect(series.grads.steps).toEqual([1, 2]);
    expect(Array.from(series.grads.columns[0])).toEqual([0.5, Math.fround(0.05), Math.fround(0.002)]);
    expect(series.grads.columns[1]).toHaveLength(4);
    expect(series.grads.min).toBeCloseTo(0.001);
    expect(series.grads.max).toBe(3);
    expect(series.learningRate).toEqual([{ x: 1, y: 0.01 }]);
  });

  it('feeds the heat strip from run.progress grads lines: data-points grows with each step', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const client = standardClient();
    useConnectionStore().attach(client);
    const training = useTrainingStore();
    Object.assign(training.form, { model: 'resnet18', dataset: 'fashion-mnist-subset', perLayerGradNorms: true });
    await training.start();
    const wrapper = mount(
      { components: { RunCharts }, setup: () => ({ training }), template: '<RunCharts :series="training.series" :version="training.seriesVersion" />' },
      { global: { plugins: [pinia, createAppI18n('en')] } },
    );
    expect(wrapper.find('[data-testid="chart-gradnorms"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="chart-learning-rate"]').attributes('data-points')).toBe('0');

    client.emit(progress(2, [stepLine(1), gradsLine(1), stepLine(2), gradsLine(2)]));
    await settle();
    const strip = () => wrapper.get('[data-testid="chart-gradnorms"]');
    expect(strip().attributes('data-points')).toBe('2');
    expect(strip().attributes('data-layers')).toBe('3');
    expect(wrapper.get('[data-testid="chart-learning-rate"]').attributes('data-points')).toBe('2');
    expect(wrapper.get('[data-testid="chart-gradnorms-legend"]').text()).toContain('log₁₀ of the gradient norm');
    // 0.002 … 0.5: the colour scale spans whole decades, 10⁻³ to 10⁰.
    expect(wrapper.get('[data-testid="chart-gradnorms-legend"]').text()).toContain('10⁻³');
    expect(wrapper.get('[data-testid="chart-gradnorms-legend"]').text()).toContain('10⁰');

    client.emit(progress(3, [stepLine(3), gradsLine(3)]));
    await settle();
    expect(strip().attributes('data-points')).toBe('3');
  });

  it('shows the heat strip of a saved run whose metrics hold grads lines', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const client = standardClient().handle('runs.get', () => ({
      ok: true,
      value: detail({ status: 'completed', metrics: [stepLine(1), gradsLine(1), stepLine(2), gradsLine(2)] }),
    }));
    client.handle('runs.evaluation', () => ({ ok: true, value: null }));
    useConnectionStore().attach(client);
    const runs = useRunsStore();
    await runs.open('run-1');
    const wrapper = mount(RunDetail, { global: { plugins: [pinia, createAppI18n('en')] } });
    await settle();
    expect(wrapper.get('[data-testid="chart-gradnorms"]').attributes('data-points')).toBe('2');
  });

  it('shows the top-5 accuracy and the current learning rate in the progress line', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const client = standardClient();
    useConnectionStore().attach(client);
    const training = useTrainingStore();
    Object.assign(training.form, { model: 'resnet18', dataset: 'fashion-mnist-subset' });
    await training.start();
    const wrapper = mount(TrainProgress, { global: { plugins: [pinia, createAppI18n('en')] } });
    client.emit(progress(2, [{ ...stepLine(1), top5Accuracy: 0.5 }, { ...stepLine(2), top5Accuracy: 0.625, learningRate: 0.00004 }]));
    await settle();
    expect(wrapper.get('[data-testid="progress-top5"]').text()).toBe('Top-5 62.5%');
    expect(wrapper.get('[data-testid="progress-lr"]').text()).toBe('LR 4.0e-5');
  });

  it('sends the threads and checkpoint interval of the advanced options, and shows the run\'s thread count in both languages', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const client = standardClient();
    useConnectionStore().attach(client);
    const training = useTrainingStore();
    Object.assign(training.form, { model: 'resnet18', dataset: 'fashion-mnist-subset', threads: 3, checkpointMinutes: 0.5 });
    await training.start();
    expect(client.callsOf('runs.start')[0]).toMatchObject({ threads: 3, checkpointMinutes: 0.5 });
    const wrapper = mount(TrainProgress, { global: { plugins: [pinia, createAppI18n('en')] } });
    expect(wrapper.find('[data-testid="progress-threads"]').exists()).toBe(false);
    client.emit({ ...progress(1, [stepLine(1)]), data: { ...progress(1, []).data, threads: 3, metrics: [stepLine(1)] } } as Parameters<typeof client.emit>[0]);
    await settle();
    expect(wrapper.get('[data-testid="progress-threads"]').text()).toBe('3 threads');
    const zh = mount(TrainProgress, { global: { plugins: [pinia, createAppI18n('zh-CN')] } });
    expect(zh.get('[data-testid="progress-threads"]').text()).toBe('3 个线程');
  });

  it('sends "split each batch across the threads" when ticked, and a saved run fills it back', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const client = standardClient();
    useConnectionStore().attach(client);
    const training = useTrainingStore();
    expect(formToConfigInput({ ...training.form, threads: 2 })).not.toHaveProperty('dataParallel');
    Object.assign(training.form, { model: 'resnet18', dataset: 'fashion-mnist-subset', threads: 2, dataParallel: true });
    await training.start();
    expect(client.callsOf('runs.start')[0]).toMatchObject({ threads: 2, dataParallel: true });
    expect(configToForm({ model: 'resnet18', epochs: 1, batchSize: 8, learningRate: 0.1, threads: 2, dataParallel: true })).toMatchObject({ threads: 2, dataParallel: true });
    expect(configToForm({ model: 'resnet18', epochs: 1, batchSize: 8, learningRate: 0.1 }).dataParallel).toBe(false);
  });

  it("shows a saved run's threads in its detail, whether each batch was split across them, and a budget fitted twice", async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const config = TrainConfigSchema.parse({ model: 'resnet18', dataset: 'fashion-mnist-subset', epochs: 20, batchSize: 16, learningRate: 0.01, threads: 2, dataParallel: true, maxMinutes: 2 });
    const budget = { maxMinutes: 2, calibrationSteps: 19, secondsPerStep: 0.25, validationSeconds: 1.6, plannedSteps: 600, fittedSteps: 360, scheduleScale: 0.6, refitStep: 30 };
    const client = standardClient().handle('runs.get', () => ({ ok: true, value: detail({ status: 'completed', threads: 2, config, budget }) }));
    client.handle('runs.evaluation', () => ({ ok: true, value: null }));
    useConnectionStore().attach(client);
    await useRunsStore().open('run-1');
    const wrapper = mount(RunDetail, { global: { plugins: [pinia, createAppI18n('en')] } });
    await settle();
    expect(wrapper.text()).toContain('Threads2, each batch split across them');
    expect(wrapper.text()).toContain('2 min: 360 of 600 steps fit, schedule scaled by 0.60 (fitted again at step 30)');
  });

  it('refuses a thread count below 1 in the form, naming the field', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const client = standardClient();
    useConnectionStore().attach(client);
    const training = useTrainingStore();
    Object.assign(training.form, { model: 'resnet18', dataset: 'fashion-mnist-subset', threads: 0 });
    expect(await training.start()).toBe(false);
    expect(client.callsOf('runs.start')).toHaveLength(0);
    expect(training.fieldErrors.threads).toBeTruthy();
  });
});

describe('backend in the status line', () => {
  beforeEach(() => localStorage.clear());

  it('shows the device and, in a popover, why each better backend was passed over', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const client = standardClient().handle('system.info', () => ({
      ok: true,
      value: {
        version: '0.1.0',
        platform: 'linux',
        home: '/h',
        mode: 'test',
        backend: {
          name: 'wasm',
          device: 'XNNPACK, 2 threads',
          passedOver: [{ name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed (libtensorflow could not be fetched)' }],
        },
      },
    }));
    useConnectionStore().attach(client);
    await useSystemStore().load();
    const wrapper = mount(StatusLine, { global: { plugins: [pinia, createAppI18n('en')] }, attachTo: document.body });
    expect(wrapper.get('[data-testid="backend-status"]').text()).toBe('Backend: wasm (XNNPACK, 2 threads)');
    expect(wrapper.get('[data-testid="backend-status"]').attributes('title')).toContain('tensorflow passed over: @tensorflow/tfjs-node is not installed');
    expect(wrapper.find('[data-testid="backend-passed-over"]').exists()).toBe(false);

    await wrapper.get('[data-testid="backend-passed-over-toggle"]').trigger('click');
    const popover = wrapper.get('[data-testid="backend-passed-over"]');
    expect(popover.get('[data-testid="backend-passed-tensorflow"]').text()).toContain('libtensorflow could not be fetched');

    document.body.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    await settle();
    expect(wrapper.find('[data-testid="backend-passed-over"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('offers no popover when the best backend was chosen', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(standardClient());
    await useSystemStore().load();
    const wrapper = mount(StatusLine, { global: { plugins: [pinia, createAppI18n('en')] } });
    expect(wrapper.get('[data-testid="backend-status"]').text()).toBe('Backend: wasm (XNNPACK)');
    expect(wrapper.find('[data-testid="backend-passed-over-toggle"]').exists()).toBe(false);
  });
});

// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils';
import { Chart } from 'chart.js';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExperimentDetail, ExperimentSummary } from '../../../src-main/contract';
import { analyzeExperiment } from '../../../src-main/experiments/analysis';
import { BUILTIN_EXPERIMENTS, builtinInfo } from '../../../src-main/experiments/builtin';
import '../../../src-renderer/components/charts/chart-setup';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { draftRequest, parseValues, useExperimentsStore } from '../../../src-renderer/stores/experiments';
import { useNavigationStore } from '../../../src-renderer/stores/navigation';
import ExperimentsView from '../../../src-renderer/views/ExperimentsView.vue';
import { recordOf, runWith } from '../experiments/helpers';
import { withCanvas as stubCanvas } from './canvas';
import { FakeClient, settle } from './fake-client';

const CLAIM = { better: 'relu', worse: 'sigmoid', en: 'ReLU trains several times faster.', zhCN: 'ReLU 训练快数倍。' };

function detailOf(): ExperimentDetail {
  const finals: Record<string, number> = { 'relu-0': 0.8, 'relu-1': 0.82, 'relu-2': 0.81, 'sigmoid-0': 0.7, 'sigmoid-1': 0.73, 'sigmoid-2': 0.715 };
  const record = recordOf(['relu', 'sigmoid'], 3, { id: 'exp-20261205-080000-abcd', name: 'relu-vs-sigmoid', claims: [CLAIM] });
  return analyzeExperiment(record, (id) => runWith(finals[id]));
}

function summaryOf(detail: ExperimentDetail): ExperimentSummary {
  const { base: _b, arms: _a, difference: _d, differences: _ds, claims: _c, figure: _f, ...summary } = detail;
  return summary;
}

function client(): FakeClient {
  const detail = detailOf();
  return new FakeClient({
    'experiments.list': () => ({ ok: true, value: [summaryOf(detail)] }),
    'experiments.builtin': () => ({ ok: true, value: BUILTIN_EXPERIMENTS.map((b) => builtinInfo(b, 3)) }),
    'experiments.get': () => ({ ok: true, value: detail }),
    'experiments.create': () => ({ ok: true, value: summaryOf(detail) }),
    'experiments.stop': () => ({ ok: true, value: { ...summaryOf(detail), status: 'stopped' } }),
    'experiments.report': () => ({ ok: true, value: { path: '/h/exports/r.html', bytes: 3, files: [{ name: 'r.html', data: btoa('abc') }] } }),
  });
}

beforeEach(() => {
  setActivePinia(createPinia());
  window.location.hash = '';
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('useExperimentsStore', () => {
  it('loads the list and the built-ins, opens one, and follows experiment.status events', async () => {
    const fake = client();
    useConnectionStore().attach(fake);
    const store = useExperimentsStore();
    await store.refresh();
    expect(store.experiments.map((e) => e.id)).toEqual(['exp-20261205-080000-abcd']);
    expect(store.builtins.map((b) => b.name)).toContain('relu-vs-sigmoid');
    await store.open('exp-20261205-080000-abcd');
    expect(store.detail!.difference!.details.kind).toBe('worse');
    fake.emit({ event: 'experiment.status', data: { id: 'exp-20261205-080000-abcd', status: 'running', done: 5, total: 6, verdict: null } });
    expect(store.experiments[0]).toMatchObject({ status: 'running', done: 5 });
    await settle();
    expect(fake.callsOf('experiments.get')).toHaveLength(2);
  });

  it('turns the form into a request: a built-in, or a run with typed values', () => {
    expect(parseValues('relu, sigmoid')).toEqual(['relu', 'sigmoid']);
    expect(parseValues('0, 0.1,true')).toEqual([0, 0.1, true]);
    expect(draftRequest({ source: 'builtin', builtin: 'se-on-off', baseRunId: '', field: '', values: '', seeds: 5, maxSteps: null })).toEqual({ builtin: 'se-on-off', seeds: 5 });
    expect(draftRequest({ source: 'run', builtin: '', baseRunId: 'run-1', field: ' dropout ', values: '0, 0.5', seeds: 3, maxSteps: 20 })).toEqual({
      baseRunId: 'run-1', vary: { field: 'dropout', values: [0, 0.5] }, seeds: 3, maxSteps: 20,
    });
  });

  it('"new experiment from this run" opens the form with the run as its base', () => {
    const store = useExperimentsStore();
    store.draftFromRun('run-7');
    expect(store.creating).toBe(true);
    expect(store.draft).toMatchObject({ source: 'run', baseRunId: 'run-7' });
  });

  it('shows the host error of a refused experiment and keeps the form open', async () => {
    const fake = client().handle('experiments.create', () => ({ ok: false, error: { code: 'invalid_request', field: 'vary', message: 'vary: give 2 to 6 values' } }));
    useConnectionStore().attach(fake);
    const store = useExperimentsStore();
    store.creating = true;
    expect(await store.create()).toBeNull();
    expect(store.actionError).toMatchObject({ field: 'vary' });
    expect(store.creating).toBe(true);
  });
});

describe('Experiments screen', () => {
  function withCanvas(): void {
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    vi.spyOn(console, 'error').mockImplementation(() => {});
  }

  it('lists experiments and the papers\u2019 ideas; a row opens the detail with bands, arms, differences and the verdict', async () => {
    withCanvas();
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(client());
    const wrapper = mount(ExperimentsView, { global: { plugins: [pinia, createAppI18n('en')] }, attachTo: document.body });
    await settle(10);
    expect(wrapper.get('[data-testid="experiments-table"]').text()).toContain('relu-vs-sigmoid');
    expect(wrapper.find('[data-testid="builtin-aux-heads"]').exists()).toBe(true);

    await wrapper.get('[data-testid="experiment-row-exp-20261205-080000-abcd"]').trigger('click');
    await settle(10);
    expect(useNavigationStore().experimentId).toBe('exp-20261205-080000-abcd');
    expect(window.location.hash).toBe('#/experiments/exp-20261205-080000-abcd');
    const verdict = wrapper.get('[data-testid="experiment-verdict"]').text();
    expect(verdict).toMatch(/sigmoid is 9\.\d ± \d+\.\d points worse than relu after 2 epochs \(3 seeds, paired, 95% CI\) Agrees with the paper\./);
    expect(wrapper.get('[data-testid="experiment-claim"]').text()).toBe(CLAIM.en);
    const arms = wrapper.get('[data-testid="experiment-arms"]').text();
    expect(arms).toContain('81.0% ± 1.0');
    expect(wrapper.findAll('.band-chart')).toHaveLength(4);
    expect(wrapper.get('[data-testid="experiment-differences"]').text()).toContain('sigmoid − relu');
    wrapper.unmount();
  });

  it('draws each band as Chart.js fill between the +σ and −σ lines', async () => {
    stubCanvas();
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(client());
    useNavigationStore().openExperiment('exp-20261205-080000-abcd');
    const wrapper = mount(ExperimentsView, { global: { plugins: [pinia, createAppI18n('en')] }, attachTo: document.body });
    await settle(10);
    await flushPromises();
    const canvas = wrapper.get('[data-testid="band-chart-Validation accuracy"] canvas').element as HTMLCanvasElement;
    const chart = Chart.getChart(canvas)!;
    expect(chart).toBeDefined();
    const datasets = chart.data.datasets;
    expect(datasets).toHaveLength(6);
    expect((datasets[0] as { fill?: unknown }).fill).toBe('+1');
    const upper = datasets[0].data as { y: number }[];
    const lower = datasets[1].data as { y: number }[];
    expect(upper[1].y - lower[1].y).toBeCloseTo(2 * 0.01, 10);
    wrapper.unmount();
  });

  it('speaks Chinese', async () => {
    withCanvas();
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(client());
    useNavigationStore().openExperiment('exp-20261205-080000-abcd');
    const wrapper = mount(ExperimentsView, { global: { plugins: [pinia, createAppI18n('zh-CN')] } });
    await settle(10);
    expect(wrapper.get('[data-testid="experiment-verdict"]').text()).toMatch(/sigmoid 比 relu 差 9\.\d ± \d+\.\d 个百分点（2 轮后，3 个种子，配对，95% 置信区间） 与论文一致。/);
    expect(wrapper.get('[data-testid="experiment-claim"]').text()).toBe(CLAIM.zhCN);
    wrapper.unmount();
  });
});

describe('an experiment on a cluster', () => {
  const ID = 'exp-20261205-080000-abcd';

  function mountScreen(fake: FakeClient, locale: 'en' | 'zh-CN' = 'en') {
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(fake);
    return mount(ExperimentsView, { global: { plugins: [pinia, createAppI18n(locale)] } });
  }

  afterEach(() => {
    delete window.cvbFiles;
  });

  it.each(['en', 'zh-CN'] as const)('"Export for a cluster" writes the jobs on the host and says where (%s)', async (locale) => {
    const fake = client().handle('experiments.exportJobs', () => ({
      ok: true,
      value: { path: `/home/u/exports/${ID}-pytorch-jobs`, files: ['experiment.json', 'run_all.sh'], tasks: 6, arms: [{ value: 'relu', trainableParameters: 10 }, { value: 'sigmoid', trainableParameters: 10 }] },
    }));
    useNavigationStore().openExperiment(ID);
    const wrapper = mountScreen(fake, locale);
    await settle(10);
    const button = wrapper.get('[data-testid="experiment-export-jobs"]');
    expect(button.text()).toBe(locale === 'en' ? 'Export for a cluster' : '导出为集群作业');
    await button.trigger('click');
    await settle(10);
    expect(fake.callsOf('experiments.exportJobs')).toEqual([{ id: ID }]);
    const note = wrapper.get('[data-testid="experiment-report-result"]').text();
    expect(note).toContain(`/home/u/exports/${ID}-pytorch-jobs`);
    expect(note).toContain(locale === 'en' ? '6 jobs' : '6 个作业');
    wrapper.unmount();
  });

  it('shows the host error when the export is refused', async () => {
    const fake = client().handle('experiments.exportJobs', () => ({ ok: false, error: { code: 'unavailable', field: 'id', message: 'the experiment\'s dataset "cifar-10" is not in this workbench' } }));
    useNavigationStore().openExperiment(ID);
    const wrapper = mountScreen(fake);
    await settle(10);
    await wrapper.get('[data-testid="experiment-export-jobs"]').trigger('click');
    await settle(10);
    expect(wrapper.get('[role="alert"]').text()).toContain('cifar-10');
    wrapper.unmount();
  });

  it('imports a dropped jobs folder by its path in the desktop app and opens the experiment', async () => {
    const detail = detailOf();
    const fake = client().handle('experiments.import', () => ({ ok: true, value: { ...summaryOf(detail), imported: ['r1', 'r2'], missing: [] } }));
    window.cvbFiles = { pathForFile: () => '/cluster/exp-jobs' };
    const wrapper = mountScreen(fake);
    await settle(10);
    await wrapper.get('[data-testid="experiments-screen"]').trigger('drop', { dataTransfer: { files: [new File([], 'exp-jobs')] } });
    await settle(10);
    expect(fake.callsOf('experiments.import')).toEqual([{ source: { path: '/cluster/exp-jobs' } }]);
    expect(useNavigationStore().experimentId).toBe(ID);
    wrapper.unmount();
  });

  it('shows why a dropped folder is refused, and says to use the command line in a browser', async () => {
    const fake = client().handle('experiments.import', () => ({
      ok: false,
      error: { code: 'invalid_request', field: 'source.path', message: "source.path: /tmp/x is not an experiment's jobs folder (no experiment.json)" },
    }));
    window.cvbFiles = { pathForFile: () => '/tmp/x' };
    const wrapper = mountScreen(fake);
    await settle(10);
    const drop = () => wrapper.get('[data-testid="experiments-screen"]').trigger('drop', { dataTransfer: { files: [new File([], 'x')] } });
    await drop();
    await settle(10);
    expect(wrapper.get('[data-testid="experiments-import-error"]').text()).toContain('no experiment.json');
    delete window.cvbFiles;
    await drop();
    await settle(10);
    expect(fake.callsOf('experiments.import')).toHaveLength(1);
    expect(wrapper.get('[data-testid="experiments-import-note"]').text()).toContain('cvb experiment import FOLDER');
    expect(wrapper.find('[data-testid="experiments-import-error"]').exists()).toBe(false);
    wrapper.unmount();
  });
});

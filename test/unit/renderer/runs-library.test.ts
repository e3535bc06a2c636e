// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EvalResult, RunSummary } from '../../../src-main/contract';
import EvaluationPanel from '../../../src-renderer/components/runs/EvaluationPanel.vue';
import RunDetail from '../../../src-renderer/components/runs/RunDetail.vue';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { useNavigationStore } from '../../../src-renderer/stores/navigation';
import { emptyFilter, filterRuns, useRunsStore } from '../../../src-renderer/stores/runs';
import { useTrainingStore } from '../../../src-renderer/stores/training';
import RunsView from '../../../src-renderer/views/RunsView.vue';
import { detail, settle, standardClient, summary } from './fake-client';

const RUNS: RunSummary[] = [
  summary({ id: 'se-run', model: 'resnet20', status: 'completed', name: 'with SE', tags: ['se', 'baseline'], starred: true, notes: 'lr sweep' }),
  summary({ id: 'relu-run', model: 'resnet20', status: 'completed', tags: ['baseline'], starred: false }),
  summary({ id: 'vgg-run', model: 'vgg11', dataset: 'cifar-10', status: 'failed' }),
  summary({ id: 'broken', model: 'unknown', status: 'failed', damaged: 'run.json cannot be read' }),
];

const EVALUATION: EvalResult = {
  runId: 'se-run',
  checkpoint: 'best',
  epoch: 3,
  step: 30,
  dataset: 'fashion-mnist-subset',
  classes: ['cat', 'dog'],
  count: 10,
  accuracy: 0.7,
  top5: null,
  perClass: [
    { class: 'cat', precision: 0.8, recall: 0.8, support: 5 },
    { class: 'dog', precision: 0.6, recall: 0.6, support: 5 },
  ],
  confusion: [
    [4, 1],
    [2, 3],
  ],
  evaluatedAt: '2025-01-01T00:00:00Z',
  ms: 10,
};

beforeEach(() => {
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  vi.spyOn(console, 'error').mockImplementation(() => {});
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe('filtering and search', () => {
  it('matches every word against id, name, model, dataset, tags and notes', () => {
    const ids = (patch: Partial<ReturnType<typeof emptyFilter>>) => filterRuns(RUNS, { ...emptyFilter(), ...patch }).map((run) => run.id);
    expect(ids({})).toEqual(['se-run', 'relu-run', 'vgg-run', 'broken']);
    expect(ids({ search: 'resnet20 WITH' })).toEqual(['se-run']);
    expect(ids({ search: 'baseline' })).toEqual(['se-run', 'relu-run']);
    expect(ids({ search: 'sweep' })).toEqual(['se-run']);
    expect(ids({ search: 'cifar' })).toEqual(['vgg-run']);
    expect(ids({ tag: 'baseline' })).toEqual(['se-run', 'relu-run']);
    expect(ids({ starredOnly: true })).toEqual(['se-run']);
    expect(ids({ status: 'failed' })).toEqual(['vgg-run', 'broken']);
    expect(ids({ status: 'damaged' })).toEqual(['broken']);
  });
});

function setup(client = standardClient()) {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnectionStore().attach(client.handle('runs.list', () => ({ ok: true, value: RUNS })));
  return { pinia, client, plugins: [pinia, createAppI18n('en')] };
}

describe('Runs screen', () => {
  it('filters from the search box, stars from the row, and opens Compare with the ticked runs', async () => {
    const { client, plugins } = setup();
    client.handle('runs.update', (params) => ({ ok: true, value: { ...RUNS[1], starred: (params as { starred: boolean }).starred } }));
    client.handle('runs.get', () => ({ ok: true, value: detail() }));
    client.handle('runs.evaluation', () => ({ ok: true, value: null }));
    await useRunsStore().refresh();
    const wrapper = mount(RunsView, { global: { plugins } });
    await settle();
    expect(wrapper.findAll('[data-testid^="run-row-"]')).toHaveLength(4);

    await wrapper.get('[data-testid="runs-search"]').setValue('with se');
    expect(wrapper.findAll('[data-testid^="run-row-"]').map((row) => row.attributes('data-testid'))).toEqual(['run-row-se-run']);
    expect(wrapper.get('[data-testid="runs-count"]').text()).toContain('1 of 4');
    await wrapper.get('[data-testid="runs-search"]').setValue('');

    await wrapper.get('[data-testid="star-relu-run"]').trigger('click');
    await settle();
    expect(client.callsOf('runs.update')).toEqual([{ id: 'relu-run', starred: true }]);
    expect(wrapper.get('[data-testid="star-relu-run"]').attributes('aria-pressed')).toBe('true');
    expect(wrapper.emitted('open')).toBeUndefined();

    expect(wrapper.get('[data-testid="compare-button"]').attributes('disabled')).toBeDefined();
    await wrapper.get('[data-testid="select-se-run"]').setValue(true);
    await wrapper.get('[data-testid="select-relu-run"]').setValue(true);
    await wrapper.get('[data-testid="compare-button"]').trigger('click');
    await settle();
    expect(useNavigationStore().screen).toBe('compare');
    expect(client.callsOf('runs.get')).toEqual([{ id: 'se-run' }, { id: 'relu-run' }]);
  });
});

describe('run detail', () => {
  function mountDetail(status: RunSummary['status'] = 'completed') {
    const { client, plugins } = setup();
    const config = { ...detail().config!, model: 'resnet20', learningRate: 0.05, epochs: 7 };
    client
      .handle('runs.get', () => ({ ok: true, value: detail({ ...RUNS[0], status, config }) }))
      .handle('runs.evaluation', () => ({ ok: true, value: EVALUATION }))
      .handle('runs.delete', (params) => ({ ok: true, value: params as { id: string } }))
      .handle('runs.update', (params) => ({ ok: true, value: { ...RUNS[0], ...(params as object) } }));
    const navigation = useNavigationStore();
    navigation.openRun('se-run');
    const runs = useRunsStore();
    return { client, runs, navigation, open: async () => {
      await runs.refresh();
      await runs.open('se-run');
      await settle();
      return mount(RunDetail, { global: { plugins }, attachTo: document.body });
    } };
  }

  it('shows the test accuracy in the summary as soon as an evaluation ends', async () => {
    const { client, runs, open } = mountDetail();
    client.handle('runs.evaluation', () => ({ ok: true, value: null })).handle('runs.evaluate', () => ({ ok: true, value: EVALUATION }));
    const wrapper = await open();
    const testAccuracy = () => wrapper.findAll('.facts__item').find((item) => item.get('dt').text() === 'Test acc.')!.get('dd').text();
    expect(testAccuracy()).toBe('—');
    expect(await runs.evaluate('se-run')).toBe(true);
    await settle();
    expect(testAccuracy()).toBe('70.0%');
    wrapper.unmount();
  });

  it('deletes only after the user confirms', async () => {
    const { client, navigation, open } = mountDetail();
    const wrapper = await open();
    await wrapper.get('[data-testid="delete-button"]').trigger('click');
    expect(wrapper.find('[data-testid="confirm-dialog"]').exists()).toBe(true);
    expect(document.activeElement?.getAttribute('data-testid')).toBe('confirm-cancel');
    await wrapper.get('[data-testid="confirm-cancel"]').trigger('click');
    expect(wrapper.find('[data-testid="confirm-dialog"]').exists()).toBe(false);
    expect(client.callsOf('runs.delete')).toEqual([]);

    await wrapper.get('[data-testid="delete-button"]').trigger('click');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await settle();
    expect(client.callsOf('runs.delete')).toEqual([{ id: 'se-run' }]);
    expect(navigation.runId).toBeNull();
    wrapper.unmount();
  });

  it('cannot delete a running run', async () => {
    const { open } = mountDetail('running');
    const wrapper = await open();
    expect(wrapper.get('[data-testid="delete-button"]').attributes('disabled')).toBeDefined();
    wrapper.unmount();
  });

  it('fills the Train form from the run ("new run from this config")', async () => {
    const { navigation, open } = mountDetail();
    const wrapper = await open();
    await wrapper.get('[data-testid="new-run-from-config"]').trigger('click');
    const training = useTrainingStore();
    expect([training.form.model, training.form.learningRate, training.form.epochs]).toEqual(['resnet20', 0.05, 7]);
    expect(navigation.screen).toBe('train');
    wrapper.unmount();
  });

  it('saves the name, tags and notes', async () => {
    const { client, open } = mountDetail();
    const wrapper = await open();
    await wrapper.get('[data-testid="meta-name"]').setValue('  SE-ResNet  ');
    await wrapper.get('[data-testid="meta-tags"]').setValue('se, baseline, se, relu');
    await wrapper.get('[data-testid="meta-notes"]').setValue('better');
    await wrapper.get('[data-testid="run-meta"]').trigger('submit');
    await settle();
    expect(client.callsOf('runs.update')).toEqual([{ id: 'se-run', name: 'SE-ResNet', tags: ['se', 'baseline', 'relu'], notes: 'better' }]);
    wrapper.unmount();
  });

  it('shows the evaluation and the images of a clicked confusion cell', async () => {
    const { client, plugins } = setup();
    client.handle('runs.evalImages', () => ({ ok: true, value: { total: 2, images: [
      { index: 7, label: 1, predicted: 0, confidence: 0.97, png: 'iVBORw0KGgo=' },
      { index: 3, label: 1, predicted: 0, confidence: 0.51, png: 'iVBORw0KGgo=' },
    ] } }));
    const wrapper = mount(EvaluationPanel, { props: { runId: 'se-run', evaluation: EVALUATION, canEvaluate: true }, global: { plugins } });
    expect(wrapper.get('[data-testid="eval-top1"]').text()).toBe('70.0%');
    expect(wrapper.get('[data-testid="cell-0-0"]').text()).toBe('4');
    await wrapper.get('[data-testid="cell-1-0"]').trigger('click');
    await flushPromises();
    expect(client.callsOf('runs.evalImages')).toEqual([{ id: 'se-run', actual: 1, predicted: 0, limit: 24 }]);
    const images = wrapper.findAll('[data-testid^="cell-image-"]');
    expect(images.map((image) => image.attributes('data-testid'))).toEqual(['cell-image-7', 'cell-image-3']);
    expect(wrapper.get('[data-testid="cell-images"]').text()).toContain('dog predicted as cat: 2 of 2');
  });
});

// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelInfo, RunSummary } from '../../../src-main/contract';
import RunDetail from '../../../src-renderer/components/runs/RunDetail.vue';
import RunsTable from '../../../src-renderer/components/runs/RunsTable.vue';
import { changedSwitches } from '../../../src-renderer/composables/useRunNames';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { emptyFilter, filterRuns, useRunsStore } from '../../../src-renderer/stores/runs';
import { useSystemStore } from '../../../src-renderer/stores/system';
import { detail, settle, standardClient, summary } from './fake-client';

const common: NonNullable<ModelInfo['switches']> = {
  activation: { kind: 'choice', default: 'relu', choices: ['relu', 'sigmoid', 'tanh'], description: '' },
  batchNorm: { kind: 'boolean', default: true, description: '' },
  widthMultiplier: { kind: 'number', default: 1, min: 0, max: 4, description: '' },
  smallInput: { kind: 'boolean', default: false, description: '' },
};
const MODELS: ModelInfo[] = [
  { name: 'resnet20', family: 'ResNet', input: [32, 32, 3], classes: 10, params: 269_722, description: '', switches: { ...common } },
  { name: 'vgg11_bn', family: 'VGG', input: [224, 224, 3], classes: 1000, params: 132_868_840, description: '', switches: { ...common } },
];
const RUNS: RunSummary[] = [
  summary({ id: 'relu', model: 'resnet20', status: 'completed', modelOptions: {} }),
  summary({ id: 'sigmoid', model: 'resnet20', status: 'completed', modelOptions: { activation: 'sigmoid', batchNorm: true } }),
  summary({ id: 'plain', model: 'vgg11_bn', status: 'completed', modelOptions: { widthMultiplier: 0.25, batchNorm: false, smallInput: true } }),
  summary({ id: 'named', model: 'resnet20', status: 'completed', name: 'my baseline', modelOptions: { activation: 'tanh' } }),
];

async function setUp(locale: 'en' | 'zh-CN' = 'en') {
  const pinia = createPinia();
  setActivePinia(pinia);
  const client = standardClient()
    .handle('models.list', () => ({ ok: true, value: MODELS }))
    .handle('runs.list', () => ({ ok: true, value: RUNS }))
    .handle('runs.get', (params) => {
      const id = (params as { id: string }).id;
      const run = RUNS.find((candidate) => candidate.id === id)!;
      const base = detail();
      return { ok: true, value: { ...base, ...run, config: { ...base.config!, model: run.model, modelOptions: run.modelOptions ?? {} } } };
    })
    .handle('runs.evaluation', () => ({ ok: true, value: null }));
  useConnectionStore().attach(client);
  await useSystemStore().load();
  const runs = useRunsStore();
  await runs.refresh();
  return { pinia, runs, i18n: createAppI18n(locale) };
}

beforeEach(() => {
  localStorage.clear();
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
});
afterEach(() => vi.restoreAllMocks());

describe('telling runs of one model apart', () => {
  it('keeps only the switches that differ from the variant, in the variant order', () => {
    expect(changedSwitches({ batchNorm: true, activation: 'sigmoid' }, MODELS[0])).toEqual([['activation', 'sigmoid']]);
    expect(changedSwitches({ smallInput: true, batchNorm: false, widthMultiplier: 0.25 }, MODELS[1])).toEqual([
      ['batchNorm', false],
      ['widthMultiplier', 0.25],
      ['smallInput', true],
    ]);
    expect(changedSwitches(undefined, MODELS[0])).toEqual([]);
  });

  it('shows the changed switches as chips in the Runs list, and finds runs by them', async () => {
    const { pinia, i18n } = await setUp();
    const wrapper = mount(RunsTable, { global: { plugins: [pinia, i18n] } });
    const chips = (id: string) => wrapper.findAll(`[data-testid="chip-${id}"]`).map((chip) => chip.text());
    expect(chips('relu')).toEqual([]);
    expect(chips('sigmoid')).toEqual(['sigmoid']);
    expect(chips('plain')).toEqual(['no BN', 'width 0.25', 'smallInput']);
    expect(filterRuns(RUNS, { ...emptyFilter(), search: 'resnet20 sigmoid' }).map((run) => run.id)).toEqual(['sigmoid']);
  });

  it('names an unnamed run after its model and changed switches; a user name wins', async () => {
    const { pinia, runs, i18n } = await setUp();
    const title = async (id: string) => {
      await runs.open(id);
      await settle();
      const wrapper = mount(RunDetail, { global: { plugins: [pinia, i18n] } });
      await settle();
      return wrapper;
    };
    expect((await title('sigmoid')).get('[data-testid="detail-title"]').text()).toBe('resnet20 · sigmoid');
    expect((await title('plain')).get('[data-testid="detail-title"]').text()).toBe('vgg11_bn · no BN · width 0.25 · smallInput');
    expect((await title('relu')).get('[data-testid="detail-title"]').text()).toBe('resnet20');
    expect((await title('named')).get('[data-testid="detail-title"]').text()).toBe('my baseline');
  });

  it("lists every switch in the run's configuration, the changed ones marked, the others as defaults", async () => {
    const { pinia, runs, i18n } = await setUp();
    await runs.open('sigmoid');
    await settle();
    const wrapper = mount(RunDetail, { global: { plugins: [pinia, i18n] } });
    await settle();
    const rows = wrapper.findAll('.facts__item').map((item) => [item.get('dt').text(), item.get('dd').text(), item.classes().includes('facts__item--changed')]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['Switch: activation', 'sigmoid', true],
        ['Switch: batchNorm', 'on (default)', false],
        ['Switch: smallInput', 'off (default)', false],
      ]),
    );
  });

  it('says it in Chinese too', async () => {
    const { pinia, i18n } = await setUp('zh-CN');
    const wrapper = mount(RunsTable, { global: { plugins: [pinia, i18n] } });
    expect(wrapper.findAll('[data-testid="chip-plain"]').map((chip) => chip.text())).toEqual(['无 BN', '宽度 0.25', 'smallInput']);
  });
});

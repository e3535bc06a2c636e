// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import RunDetail from '../../../src-renderer/components/runs/RunDetail.vue';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { useNavigationStore } from '../../../src-renderer/stores/navigation';
import { useRunsStore } from '../../../src-renderer/stores/runs';
import RunsView from '../../../src-renderer/views/RunsView.vue';
import { detail, settle, standardClient, summary } from './fake-client';

function setup(locale: 'en' | 'zh-CN' = 'en') {
  const pinia = createPinia();
  setActivePinia(pinia);
  const client = standardClient();
  useConnectionStore().attach(client);
  return { client, plugins: [pinia, createAppI18n(locale)] };
}

beforeEach(() => {
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  vi.spyOn(console, 'error').mockImplementation(() => {});
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
  delete window.cvbFiles;
});

describe('Export for a cluster', () => {
  it.each(['en', 'zh-CN'] as const)('writes the run as a PyTorch job on the host and says where (%s)', async (locale) => {
    const { client, plugins } = setup(locale);
    client
      .handle('runs.get', () => ({ ok: true, value: detail({ ...summary({ id: 'r1', status: 'completed' }) }) }))
      .handle('runs.evaluation', () => ({ ok: true, value: null }))
      .handle('runs.exportJob', () => ({ ok: true, value: { path: '/home/u/exports/r1-pytorch-job', files: ['job.json', 'train.py'], trainableParameters: 272474 } }));
    useNavigationStore().openRun('r1');
    await useRunsStore().open('r1');
    const wrapper = mount(RunDetail, { global: { plugins } });
    await settle();
    const button = wrapper.get('[data-testid="export-job"]');
    expect(button.text()).toBe(locale === 'en' ? 'Export for a cluster' : '导出为集群作业');
    await button.trigger('click');
    await settle();
    expect(client.callsOf('runs.exportJob')).toEqual([{ id: 'r1' }]);
    expect(wrapper.get('[data-testid="export-result"]').text()).toContain('/home/u/exports/r1-pytorch-job');
    wrapper.unmount();
  });

  it('shows the host error when the export is refused', async () => {
    const { client, plugins } = setup();
    client
      .handle('runs.get', () => ({ ok: true, value: detail({ ...summary({ id: 'r1', status: 'completed' }) }) }))
      .handle('runs.evaluation', () => ({ ok: true, value: null }))
      .handle('runs.exportJob', () => ({ ok: false, error: { code: 'unavailable', field: 'id', message: 'the run\'s dataset "cifar-10" is not in this workbench' } }));
    await useRunsStore().open('r1');
    const wrapper = mount(RunDetail, { global: { plugins } });
    await settle();
    await wrapper.get('[data-testid="export-job"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="action-error"]').text()).toContain('cifar-10');
    wrapper.unmount();
  });
});

describe('dropping a run folder on the Runs screen', () => {
  const drop = (wrapper: ReturnType<typeof mount>, file: File) => wrapper.get('[data-testid="runs-screen"]').trigger('drop', { dataTransfer: { files: [file] } });

  it('imports it by its path in the desktop app', async () => {
    const { client, plugins } = setup();
    window.cvbFiles = { pathForFile: () => '/cluster/runs/20261205-resnet20-ddp1' };
    client.handle('runs.import', () => ({ ok: true, value: summary({ id: '20261205-resnet20-ddp1', backend: 'pytorch-ddp ×2' }) }));
    useNavigationStore().closeRun();
    const wrapper = mount(RunsView, { global: { plugins } });
    await settle();
    await drop(wrapper, new File([], '20261205-resnet20-ddp1'));
    await flushPromises();
    await settle();
    expect(client.callsOf('runs.import')).toEqual([{ source: { path: '/cluster/runs/20261205-resnet20-ddp1' } }]);
    expect(wrapper.get('[data-testid="import-note"]').text()).toContain('20261205-resnet20-ddp1');
  });

  it('says to use the command line where the window cannot know the path (browser mode)', async () => {
    const { client, plugins } = setup();
    useNavigationStore().closeRun();
    const wrapper = mount(RunsView, { global: { plugins } });
    await settle();
    await drop(wrapper, new File([], 'folder'));
    await settle();
    expect(client.callsOf('runs.import')).toEqual([]);
    expect(wrapper.get('[data-testid="import-note"]').text()).toContain('cvb runs import FOLDER');
  });
});

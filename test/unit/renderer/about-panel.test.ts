// @vitest-environment jsdom
// The About panel asks system.about when it opens and shows where the log file and crash dumps are.
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, describe, expect, it } from 'vitest';
import type { AboutInfo } from '../../../src-main/contract';
import AboutPanel from '../../../src-renderer/components/AboutPanel.vue';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { FakeClient, settle } from './fake-client';

const DESKTOP: AboutInfo = {
  versions: { app: '0.1.0', node: '24.11.1', electron: '45.6.1', chrome: '146.0.0.0', platform: 'linux-x64' },
  logFile: '/home/ada/.config/CV Baselines Workbench/logs/workbench.3.log',
  logFolder: '/home/ada/.config/CV Baselines Workbench/logs',
  crashDumpsFolder: '/home/ada/.config/CV Baselines Workbench/Crashpad',
};

async function mountPanel(client: FakeClient, locale: 'en' | 'zh-CN' = 'en') {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnectionStore().attach(client);
  const wrapper = mount(AboutPanel, { attachTo: document.body, global: { plugins: [pinia, createAppI18n(locale)] } });
  await settle();
  return wrapper;
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('About panel', () => {
  it('asks the host when opened and shows the log file, the crash dumps and the versions', async () => {
    const client = new FakeClient({ 'system.about': () => ({ ok: true, value: DESKTOP }) });
    const wrapper = await mountPanel(client);
    expect(wrapper.find('[data-testid="about-panel"]').exists()).toBe(false);
    expect(client.callsOf('system.about')).toHaveLength(0);

    await wrapper.get('[data-testid="about-button"]').trigger('click');
    await settle();
    expect(client.callsOf('system.about')).toEqual([{}]);
    expect(wrapper.get('[data-testid="about-log-file"]').text()).toBe(DESKTOP.logFile);
    expect(wrapper.get('[data-testid="about-crash-dumps"]').text()).toBe(DESKTOP.crashDumpsFolder);
    const panel = wrapper.get('[data-testid="about-panel"]').text();
    expect(panel).toContain('Electron');
    expect(panel).toContain('45.6.1');
    expect(panel).toContain('attach the log file');

    await wrapper.get('[data-testid="about-close"]').trigger('click');
    expect(wrapper.find('[data-testid="about-panel"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('says so in Chinese where the host keeps no crash dumps (browser mode)', async () => {
    const browser: AboutInfo = { ...DESKTOP, versions: { ...DESKTOP.versions, electron: null, chrome: null }, crashDumpsFolder: null };
    const wrapper = await mountPanel(new FakeClient({ 'system.about': () => ({ ok: true, value: browser }) }), 'zh-CN');
    await wrapper.get('[data-testid="about-button"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="about-log-file"]').text()).toBe(DESKTOP.logFile);
    expect(wrapper.get('[data-testid="about-crash-dumps"]').text()).toBe('此处没有（仅桌面版保存）');
    expect(wrapper.get('[data-testid="about-panel"]').text()).not.toContain('Electron');
    expect(wrapper.get('[data-testid="about-panel"]').text()).toContain('日志文件');
    wrapper.unmount();
  });

  it('shows the host error when the question fails', async () => {
    const wrapper = await mountPanel(new FakeClient({ 'system.about': () => ({ ok: false, error: { code: 'unavailable', message: 'the host is closing' } }) }));
    await wrapper.get('[data-testid="about-button"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="about-error"]').text()).toBe('Could not ask the host: the host is closing');
    wrapper.unmount();
  });
});

// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../../src-renderer/App.vue';
import { createAppI18n, detectLocale } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { useNavigationStore } from '../../../src-renderer/stores/navigation';
import { settle, standardClient, type FakeClient } from './fake-client';

async function mountApp(client: FakeClient = standardClient(), locale: 'en' | 'zh-CN' = 'en') {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnectionStore().attach(client);
  // Charts need a canvas context jsdom lacks; their own test covers them.
  const wrapper = mount(App, { attachTo: document.body, global: { plugins: [pinia, createAppI18n(locale)], stubs: { RunCharts: true } } });
  await settle();
  return wrapper;
}

describe('app shell', () => {
  beforeEach(() => {
    localStorage.clear();
    window.history.replaceState(null, '', '#/train');
  });
  afterEach(() => {
    document.body.innerHTML = '';
    vi.unstubAllGlobals();
  });

  it('switches the language of the whole UI and remembers it', async () => {
    const wrapper = await mountApp();
    expect(wrapper.get('[data-testid="nav-train"]').text()).toContain('Train');
    expect(wrapper.get('[data-testid="start-button"]').text()).toBe('Start');
    expect(wrapper.get('[data-testid="connection-status"]').text()).toBe('Connected');

    await wrapper.get('[data-testid="lang-switch"]').setValue('zh-CN');
    expect(wrapper.get('[data-testid="nav-train"]').text()).toContain('训练');
    expect(wrapper.get('[data-testid="start-button"]').text()).toBe('开始');
    expect(wrapper.get('[data-testid="connection-status"]').text()).toBe('已连接');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(detectLocale()).toBe('zh-CN');
    wrapper.unmount();
  });

  it('picks the default language from navigator.language', () => {
    vi.stubGlobal('navigator', { language: 'zh-TW', languages: ['zh-TW'] });
    expect(detectLocale()).toBe('zh-CN');
    vi.stubGlobal('navigator', { language: 'de-DE', languages: ['de-DE', 'en'] });
    expect(detectLocale()).toBe('en');
  });

  it('switches screens with 1 and 2, and with the sidebar', async () => {
    const wrapper = await mountApp();
    const navigation = useNavigationStore();
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '2' }));
    await settle();
    expect(navigation.screen).toBe('runs');
    expect(wrapper.find('[data-testid="runs-table"]').exists()).toBe(true);
    expect(window.location.hash).toBe('#/runs');

    await wrapper.get('[data-testid="nav-train"]').trigger('click');
    expect(wrapper.find('[data-testid="field-model"]').exists()).toBe(true);
    wrapper.unmount();
  });

  it('does not switch screens while typing in a field', async () => {
    const wrapper = await mountApp();
    const input = wrapper.get('[data-testid="field-epochs"]').element;
    input.dispatchEvent(new KeyboardEvent('keydown', { key: '2', bubbles: true }));
    await settle();
    expect(useNavigationStore().screen).toBe('train');
    wrapper.unmount();
  });

  it('starts with Ctrl+Enter and stops with Escape', async () => {
    const client = standardClient();
    const wrapper = await mountApp(client);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true }));
    await settle();
    expect(client.callsOf('runs.start')).toHaveLength(1);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await settle();
    expect(client.callsOf('runs.stop')).toEqual([{ id: 'run-1' }]);
    wrapper.unmount();
  });

  it('lists the shortcuts in the help tooltip', async () => {
    const wrapper = await mountApp();
    const help = wrapper.get('#shortcut-tooltip').text();
    expect(help).toContain('Start training');
    expect(help).toContain('Go to Runs');
    wrapper.unmount();
  });

  it('shows a lost connection and the backend from system.info', async () => {
    const listeners: Array<(connected: boolean) => void> = [];
    const client = standardClient();
    const pinia = createPinia();
    setActivePinia(pinia);
    const connection = useConnectionStore();
    connection.attach({
      client,
      transport: 'websocket',
      ready: () => Promise.resolve(),
      onConnectionChange: (listener) => {
        listeners.push(listener);
        return () => {};
      },
    });
    const wrapper = mount(App, { global: { plugins: [pinia, createAppI18n('en')], stubs: { RunCharts: true } } });
    await settle();
    const status = () => wrapper.get('[data-testid="connection-status"]');
    expect(status().attributes('data-state')).toBe('connected');
    expect(wrapper.text()).toContain('Backend: wasm (XNNPACK)');

    listeners.forEach((listener) => listener(false));
    await settle();
    expect(status().attributes('data-state')).toBe('reconnecting');
    expect(status().text()).toBe('Connection lost, reconnecting…');
    expect(wrapper.get('[data-testid="start-button"]').attributes('disabled')).toBeDefined();

    const listsBefore = client.callsOf('runs.list').length;
    listeners.forEach((listener) => listener(true));
    await settle();
    expect(status().attributes('data-state')).toBe('connected');
    expect(client.callsOf('runs.list').length).toBeGreaterThan(listsBefore);
    wrapper.unmount();
  });
});

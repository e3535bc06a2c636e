// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import TrainForm from '../../../src-renderer/components/train/TrainForm.vue';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { useSystemStore } from '../../../src-renderer/stores/system';
import { useTrainingStore } from '../../../src-renderer/stores/training';
import { settle, standardClient, summary, type FakeClient } from './fake-client';

async function mountForm(client: FakeClient) {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnectionStore().attach(client);
  const system = useSystemStore();
  await system.load();
  const training = useTrainingStore();
  training.ensureSelections(system.models, system.datasets);
  const wrapper = mount(TrainForm, { global: { plugins: [pinia, createAppI18n('en')] } });
  await settle();
  return { wrapper, training };
}

describe('Train form', () => {
  beforeEach(() => localStorage.clear());

  it('shows each validation error next to its field and starts nothing', async () => {
    const client = standardClient();
    const { wrapper, training } = await mountForm(client);
    const start = wrapper.get('[data-testid="start-button"]');
    expect(start.attributes('disabled')).toBeUndefined();

    await wrapper.get('[data-testid="field-epochs"]').setValue('0');
    await wrapper.get('[data-testid="field-batchSize"]').setValue('2.5');
    await wrapper.get('[data-testid="field-learningRate"]').setValue('');
    await wrapper.get('[data-testid="field-maxSteps"]').setValue('99999999999');

    expect(wrapper.get('[data-testid="error-epochs"]').text()).toBe('Must be at least 1');
    expect(wrapper.get('[data-testid="error-batchSize"]').text()).toBe('Must be a whole number');
    expect(wrapper.get('[data-testid="error-learningRate"]').text()).toBe('Required');
    expect(wrapper.get('[data-testid="error-maxSteps"]').text()).toBe('Must be at most 10,000,000');
    expect(wrapper.get('[data-testid="error-model"]').text()).toBe('');
    expect(wrapper.get('[data-testid="field-epochs"]').attributes('aria-invalid')).toBe('true');
    expect(start.attributes('disabled')).toBeDefined();

    await start.trigger('click');
    expect(await training.start()).toBe(false);
    await settle();
    expect(client.callsOf('runs.start')).toHaveLength(0);
  });

  it('checks the learning rate bounds with the contract schema', async () => {
    const { wrapper } = await mountForm(standardClient());
    await wrapper.get('[data-testid="field-learningRate"]').setValue('0');
    expect(wrapper.get('[data-testid="error-learningRate"]').text()).toBe('Must be greater than 0');
    await wrapper.get('[data-testid="field-learningRate"]').setValue('11');
    expect(wrapper.get('[data-testid="error-learningRate"]').text()).toBe('Must be at most 10');
    await wrapper.get('[data-testid="field-learningRate"]').setValue('0.01');
    expect(wrapper.get('[data-testid="error-learningRate"]').text()).toBe('');
  });

  it('puts a host error that names a field next to that field, until the field changes', async () => {
    const client = standardClient().handle('runs.start', () => ({
      ok: false,
      error: { code: 'invalid_request', message: 'batchSize: too big for this GPU (received 512)', field: 'batchSize' },
    }));
    const { wrapper } = await mountForm(client);
    await wrapper.get('[data-testid="field-batchSize"]').setValue('512');
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();

    expect(client.callsOf('runs.start')).toHaveLength(1);
    expect(wrapper.get('[data-testid="error-batchSize"]').text()).toBe('batchSize: too big for this GPU (received 512)');
    expect(wrapper.get('[data-testid="error-epochs"]').text()).toBe('');

    await wrapper.get('[data-testid="field-batchSize"]').setValue('64');
    expect(wrapper.get('[data-testid="error-batchSize"]').text()).toBe('');
  });

  it('shows a host error without a field above the buttons', async () => {
    const client = standardClient().handle('runs.start', () => ({ ok: false, error: { code: 'conflict', message: 'a run is already running' } }));
    const { wrapper } = await mountForm(client);
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="train-error"]').text()).toBe('a run is already running');
  });

  it('sends the validated config, then disables Start and enables Stop while the run runs', async () => {
    const client = standardClient();
    const { wrapper, training } = await mountForm(client);
    await wrapper.get('[data-testid="field-optimizer"]').setValue('momentum');
    await wrapper.get('[data-testid="field-maxSteps"]').setValue('20');
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();

    expect(client.callsOf('runs.start')[0]).toMatchObject({
      model: 'alexnet',
      dataset: 'fashion-mnist-subset',
      epochs: 5,
      batchSize: 32,
      learningRate: 0.001,
      optimizer: 'momentum',
      maxSteps: 20,
    });
    expect(training.isRunning).toBe(true);
    expect(wrapper.get('[data-testid="start-button"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="stop-button"]').attributes('disabled')).toBeUndefined();

    client.handle('runs.stop', () => ({ ok: true, value: summary({ status: 'stopped' }) }));
    await wrapper.get('[data-testid="stop-button"]').trigger('click');
    await settle();
    expect(client.callsOf('runs.stop')).toEqual([{ id: 'run-1' }]);
    expect(training.isRunning).toBe(false);
  });
});

// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { createPinia, getActivePinia, setActivePinia } from 'pinia';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import TrainForm from '../../../src-renderer/components/train/TrainForm.vue';
import TrainProgress from '../../../src-renderer/components/train/TrainProgress.vue';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { useSystemStore } from '../../../src-renderer/stores/system';
import { useTrainingStore } from '../../../src-renderer/stores/training';
import { DEFAULT_TRAIN_CONFIG, type ModelInfo } from '../../../src-main/contract';
import { MODELS, settle, standardClient, stepLine, summary, type FakeClient } from './fake-client';

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
  // jsdom lays nothing out, so it has no scrollIntoView; the form calls it to bring an error into view.
  beforeAll(() => {
    Element.prototype.scrollIntoView = () => undefined;
  });

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
    await wrapper.get('[data-testid="field-maxMinutes"]').setValue('-2');
    expect(wrapper.get('[data-testid="error-maxMinutes"]').text()).toBe('Must be greater than 0');
    await wrapper.get('[data-testid="field-maxMinutes"]').setValue('1.5');
    expect(wrapper.get('[data-testid="error-maxMinutes"]').text()).toBe('');
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();

    expect(client.callsOf('runs.start')[0]).toMatchObject({
      model: 'alexnet',
      dataset: 'fashion-mnist-subset',
      epochs: DEFAULT_TRAIN_CONFIG.epochs,
      batchSize: DEFAULT_TRAIN_CONFIG.batchSize,
      learningRate: DEFAULT_TRAIN_CONFIG.learningRate,
      optimizer: 'momentum',
      maxSteps: 20,
      maxMinutes: 1.5,
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

  describe('whether the model fits the data, before Start is pressed', () => {
    /** A host whose dry run refuses alexnet below 64 pixels unless smallInput is on; resnet20 fits anything. */
    function fitClient(): FakeClient {
      const models: ModelInfo[] = [
        { ...MODELS[0], switches: { smallInput: { kind: 'boolean', default: false, description: 'stem for small images' } } },
        { name: 'resnet20', family: 'ResNet', input: [32, 32, 3], classes: 10, params: 269_722, description: 'He et al.' },
        { name: 'vgg11', family: 'VGG', input: [224, 224, 3], classes: 1000, params: 132_863_336, description: 'Simonyan and Zisserman' },
      ];
      return standardClient()
        .handle('models.list', () => ({ ok: true, value: models }))
        .handle('models.inspect', (params) => {
          const { name, input, options } = params as { name: string; input: number[]; options: Record<string, unknown> };
          if (name === 'resnet20' || (name === 'alexnet' && options.smallInput === true) || input[0] >= 64) return { ok: true, value: {} as never };
          return { ok: false, error: { code: 'invalid_request', field: 'input', message: `input ${input.join('×')} is too small for ${name}` } };
        });
    }

    it('opens on resnet20, which fits the bundled set, and Start is enabled', async () => {
      const { wrapper, training } = await mountForm(fitClient());
      expect(training.form.model).toBe('resnet20');
      expect(training.fit).toEqual({ fits: true });
      expect(wrapper.get('[data-testid="start-button"]').attributes('disabled')).toBeUndefined();
      expect(wrapper.find('[data-testid="start-blockers"]').exists()).toBe(false);
      expect(wrapper.get('[data-testid="train-model-info"]').text()).toContain('trains at 28×28×1 here (this dataset; the paper: 32×32×3)');
    });

    it('disables Start for alexnet on 28×28 images, says why next to it, and turns on smallInput in one click', async () => {
      const client = fitClient();
      const { wrapper, training } = await mountForm(client);
      await wrapper.get('[data-testid="field-model"]').setValue('alexnet');
      await settle();
      expect(wrapper.get('[data-testid="start-button"]').attributes('disabled')).toBeDefined();
      expect(wrapper.get('[data-testid="fit-problem"]').text()).toContain('alexnet cannot train on this dataset: its 28×28×1 images are too small');
      const fix = wrapper.get('[data-testid="fit-fix"]');
      expect(fix.text()).toBe('Turn on smallInput');
      await fix.trigger('click');
      await settle();
      expect(training.modelOptions).toEqual({ smallInput: true });
      expect(wrapper.find('[data-testid="fit-problem"]').exists()).toBe(false);
      expect(wrapper.get('[data-testid="start-button"]').attributes('disabled')).toBeUndefined();
      await wrapper.get('[data-testid="start-button"]').trigger('click');
      await settle();
      expect(client.callsOf('runs.start')[0]).toMatchObject({ model: 'alexnet', modelOptions: { smallInput: true } });
    });

    it('offers resnet20 for a model without a smallInput switch, and refuses to start meanwhile', async () => {
      const client = fitClient();
      const { wrapper, training } = await mountForm(client);
      await wrapper.get('[data-testid="field-model"]').setValue('vgg11');
      await settle();
      expect(await training.start()).toBe(false);
      expect(client.callsOf('runs.start')).toHaveLength(0);
      expect(wrapper.get('[data-testid="fit-fix"]').text()).toBe('Pick resnet20');
      await wrapper.get('[data-testid="fit-fix"]').trigger('click');
      await settle();
      expect(training.form.model).toBe('resnet20');
      expect(wrapper.get('[data-testid="start-button"]').attributes('disabled')).toBeUndefined();
    });

    it('does not block Start when the host cannot say (no dry run)', async () => {
      const { wrapper, training } = await mountForm(standardClient());
      expect(training.fit).toBeNull();
      expect(wrapper.get('[data-testid="start-button"]').attributes('disabled')).toBeUndefined();
    });
  });

  it('summarises every field error beside Start; a click on one, or Ctrl+Enter, focuses the field', async () => {
    const { wrapper, training } = await mountForm(standardClient());
    await wrapper.get('[data-testid="field-epochs"]').setValue('0');
    await wrapper.get('[data-testid="field-learningRate"]').setValue('');
    const summary = wrapper.get('[data-testid="error-summary"]');
    expect(wrapper.get('[data-testid="start-blockers"]').text()).toContain('Start is waiting for these 2 fields:');
    expect(summary.findAll('li').map((item) => item.text())).toEqual(['Epochs: Must be at least 1', 'Learning rate: Required']);
    document.body.appendChild(wrapper.element);
    await wrapper.get('[data-testid="summary-learningRate"]').trigger('click');
    await settle();
    expect(document.activeElement?.id).toBe('input-learningRate');
    training.startOrReveal();
    await settle();
    expect(document.activeElement?.id).toBe('input-epochs');
    wrapper.unmount();
  });

  it('opens the Advanced options to show an error that is only there', async () => {
    const { wrapper, training } = await mountForm(standardClient());
    training.form.weightDecay = -1;
    await settle();
    expect(training.advancedOpen).toBe(false);
    expect(wrapper.get('[data-testid="error-summary"]').text()).toContain('Weight decay');
    document.body.appendChild(wrapper.element);
    training.startOrReveal();
    await settle();
    expect(training.advancedOpen).toBe(true);
    expect(document.activeElement?.id).toBe('input-weightDecay');
    wrapper.unmount();
  });

  it('says Stopping… from the press of Stop until the run has ended, and shows top-1 next to top-5', async () => {
    const client = standardClient().handle('runs.stop', () => ({ ok: true, value: summary({ status: 'running' }) }));
    const { wrapper, training } = await mountForm(client);
    const progress = mount(TrainProgress, { global: { plugins: [getActivePinia()!, createAppI18n('en')] } });
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();
    client.emit({ event: 'run.progress', data: { runId: 'run-1', epoch: 1, epochs: 3, step: 5, stepsPerEpoch: 10, totalSteps: 0, imagesPerSec: 50, etaSeconds: 10, metrics: [{ ...stepLine(5), top5Accuracy: 0.9 }] } });
    await settle();
    expect(progress.get('[data-testid="progress-top1"]').text()).toBe('Top-1 5.0%');
    expect(progress.get('[data-testid="progress-top5"]').text()).toBe('Top-5 90.0%');
    await wrapper.get('[data-testid="stop-button"]').trigger('click');
    await settle();
    expect(training.stopping).toBe(true);
    expect(progress.get('.badge').text()).toBe('Stopping…');
    client.emit({ event: 'run.status', data: { runId: 'run-1', status: 'stopped', error: null } });
    await settle();
    expect(progress.get('.badge').text()).toBe('Stopped');
  });
});

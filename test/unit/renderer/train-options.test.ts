// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { TrainConfigSchema } from '../../../src-main/contract';
import TrainForm from '../../../src-renderer/components/train/TrainForm.vue';
import { formToConfigInput } from '../../../src-renderer/lib/validation';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { useSystemStore } from '../../../src-renderer/stores/system';
import { useTrainingStore } from '../../../src-renderer/stores/training';
import { FASHION_MNIST_PRESET } from '../../../src-main/train/recipes';
import { DATASETS, MODELS, RECIPES, settle, standardClient, type FakeClient } from './fake-client';

async function mountForm(client: FakeClient = standardClient(), model = 'resnet18') {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnectionStore().attach(client);
  const system = useSystemStore();
  await system.load();
  const training = useTrainingStore();
  training.ensureSelections(system.models, system.datasets);
  training.form.model = model;
  const wrapper = mount(TrainForm, { global: { plugins: [pinia, createAppI18n('en')] }, attachTo: document.body });
  await settle();
  return { wrapper, training };
}

type Wrapper = Awaited<ReturnType<typeof mountForm>>['wrapper'];
const field = (wrapper: Wrapper, name: string) => wrapper.get(`[data-testid="field-${name}"]`);
const errorOf = (wrapper: Wrapper, name: string) => wrapper.get(`[data-testid="error-${name}"]`).text();

describe('Train form: recipes', () => {
  beforeEach(() => {
    localStorage.clear();
    document.body.innerHTML = '';
  });

  it('lists the recipes written for the chosen model first, then its family, then the others', async () => {
    const { wrapper } = await mountForm();
    const groups = wrapper.get('[data-testid="field-recipe"]').findAll('optgroup');
    expect(groups.map((group) => group.attributes('label'))).toEqual(['Written for resnet18', 'Same family (ResNet)', 'AlexNet']);
    expect(groups[0].findAll('option').map((option) => option.attributes('value'))).toEqual(['resnet-imagenet-paper']);
  });

  describe('the whole-run preset', () => {
    const VGG = { name: 'vgg11_bn', family: 'VGG', input: [224, 224, 3] as [number, number, number], classes: 1000, params: 132_868_840, description: 'Simonyan and Zisserman' };
    const FULL = { ...DATASETS[0], id: 'fashion-mnist', name: 'Fashion-MNIST', trainCount: 60_000, testCount: 10_000, source: 'catalog' as const };
    const presetClient = (datasets = [...DATASETS, FULL]) =>
      standardClient()
        .handle('models.list', () => ({ ok: true, value: [...MODELS, VGG] }))
        .handle('datasets.list', () => ({ ok: true, value: datasets }))
        .handle('recipes.list', () => ({ ok: true, value: [...RECIPES, FASHION_MNIST_PRESET] }));

    it('picks its model, switches, dataset and time budget, and starts the run it describes', async () => {
      const client = presetClient();
      const { wrapper, training } = await mountForm(client);
      await field(wrapper, 'recipe').setValue('fashion-mnist-15min');
      await settle();
      expect(training.form).toMatchObject({ model: 'vgg11_bn', dataset: 'fashion-mnist', epochs: 30, batchSize: 128, maxMinutes: 15, schedule: 'onecycle' });
      expect(training.modelOptions).toEqual({ smallInput: true, widthMultiplier: 0.125 });
      expect(wrapper.find('[data-testid="recipe-missing-dataset"]').exists()).toBe(false);
      expect(wrapper.get('[data-testid="recipe-measured"]').text()).toContain('mean 92.82%');
      await wrapper.get('[data-testid="start-button"]').trigger('click');
      await settle();
      expect(client.callsOf('runs.start')[0]).toMatchObject({
        model: 'vgg11_bn',
        dataset: 'fashion-mnist',
        maxMinutes: 15,
        modelOptions: { smallInput: true, widthMultiplier: 0.125 },
        preset: { name: 'fashion-mnist-15min', changed: [] },
      });
    });

    it("says its dataset is not imported yet, and keeps the form's dataset", async () => {
      const { wrapper, training } = await mountForm(presetClient([...DATASETS]));
      await field(wrapper, 'recipe').setValue('fashion-mnist-15min');
      await settle();
      expect(training.form).toMatchObject({ model: 'vgg11_bn', dataset: 'fashion-mnist-subset' });
      expect(wrapper.get('[data-testid="recipe-missing-dataset"]').text()).toContain('"fashion-mnist", which is not imported yet');
    });
  });

  it('fills the form from a recipe, then marks each field that departs from it', async () => {
    const client = standardClient();
    const { wrapper, training } = await mountForm(client);
    await field(wrapper, 'recipe').setValue('resnet-imagenet-paper');

    expect(training.form).toMatchObject({ epochs: 90, batchSize: 256, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: 'multistep', milestones: '30, 60', gamma: 0.1, horizontalFlip: true, randomCrop: false });
    expect((field(wrapper, 'epochs').element as HTMLInputElement).value).toBe('90');
    expect((field(wrapper, 'milestones').element as HTMLInputElement).value).toBe('30, 60');
    expect(wrapper.get('[data-testid="recipe-info"]').text()).toContain('He et al.');
    expect(wrapper.find('[data-testid="recipe-unchanged"]').exists()).toBe(true);
    expect(wrapper.findAll('[data-testid^="changed-"]')).toHaveLength(0);

    await field(wrapper, 'learningRate').setValue('0.05');
    await field(wrapper, 'milestones').setValue('30, 70');
    expect(wrapper.get('[data-testid="changed-learningRate"]').attributes('title')).toBe('Changed from the recipe (recipe: 0.1)');
    expect(wrapper.get('[data-testid="changed-schedule"]').attributes('title')).toContain('at epochs 30, 60');
    expect(wrapper.find('[data-testid="changed-epochs"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="recipe-changed"]').text()).toContain('Changed from the recipe: Learning rate, Schedule');

    // The values the recipe leaves out, left at their defaults, are not changes.
    await field(wrapper, 'gamma').setValue('');
    expect(training.changedFromRecipe).toEqual(['learningRate', 'schedule']);

    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();
    expect(client.callsOf('runs.start')[0]).toMatchObject({
      epochs: 90,
      learningRate: 0.05,
      optimizer: 'momentum',
      momentum: 0.9,
      weightDecay: 1e-4,
      schedule: { type: 'multistep', milestones: [30, 70], gamma: 0.1 },
      augmentation: { horizontalFlip: true },
      preset: { name: 'resnet-imagenet-paper', changed: ['learningRate', 'schedule'] },
    });
  });

  it('"Back to the recipe" undoes the changes; "None" keeps the values and sends no preset', async () => {
    const client = standardClient();
    const { wrapper, training } = await mountForm(client, 'resnet20');
    await field(wrapper, 'recipe').setValue('resnet-cifar-laptop');
    expect(training.form).toMatchObject({ randomCrop: true, cropPadding: 4, horizontalFlip: true });
    await field(wrapper, 'batchSize').setValue('16');
    await wrapper.get('[data-testid="recipe-reset"]').trigger('click');
    expect(training.form.batchSize).toBe(64);
    expect(training.changedFromRecipe).toEqual([]);

    await field(wrapper, 'recipe').setValue('');
    expect(training.form.batchSize).toBe(64);
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();
    expect(client.callsOf('runs.start')[0]).not.toHaveProperty('preset');
  });
});

describe('Train form: advanced options', () => {
  beforeEach(() => {
    localStorage.clear();
    document.body.innerHTML = '';
  });

  it('is closed by default and remembers being opened', async () => {
    const first = await mountForm();
    const details = () => first.wrapper.get('[data-testid="advanced"]').element as HTMLDetailsElement;
    expect(details().open).toBe(false);
    details().open = true;
    details().dispatchEvent(new Event('toggle'));
    await settle();
    expect(first.training.advancedOpen).toBe(true);
    expect(localStorage.getItem('cvb.trainAdvancedOpen')).toBe('true');
    first.wrapper.unmount();

    const second = await mountForm();
    expect((second.wrapper.get('[data-testid="advanced"]').element as HTMLDetailsElement).open).toBe(true);
  });

  it('says what splitting each batch does with the chosen threads, and warns when the shares get small', async () => {
    const { wrapper } = await mountForm();
    const note = () => wrapper.find('[data-testid="note-dataParallel"]');
    await field(wrapper, 'threads').setValue('4');
    await field(wrapper, 'batchSize').setValue('32');
    expect(note().exists()).toBe(false);
    await field(wrapper, 'dataParallel').setValue(true);
    expect(note().text()).toBe('Shares of 8 images (4 threads, batch 32): under 16 a share, batch norm gets noisy and each thread slows down. Use a batch of 64 or more, or fewer threads.');
    expect(note().classes()).toContain('field__info--warning');
    await field(wrapper, 'batchSize').setValue('66');
    expect(note().text()).toBe('4 threads: each batch of 66 is cut into shares of 16 images.');
    expect(note().classes()).not.toContain('field__info--warning');
    await field(wrapper, 'threads').setValue('1');
    expect(note().text()).toBe('With one thread there is nothing to split.');
    await field(wrapper, 'threads').setValue('4');
    await field(wrapper, 'backend').setValue('tensorflow');
    expect(note().text()).toBe('Ignored on tensorflow, which already runs each operation on every core.');
    await field(wrapper, 'dataParallel').setValue(false);
    expect(note().exists()).toBe(false);
  });

  it('shows each field only when the optimizer, schedule or model uses it', async () => {
    const { wrapper } = await mountForm();
    await field(wrapper, 'optimizer').setValue('adam');
    expect(wrapper.find('[data-testid="field-momentum"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="field-epsilon"]').exists()).toBe(true);
    await field(wrapper, 'optimizer').setValue('momentum');
    expect(wrapper.find('[data-testid="field-momentum"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="field-nesterov"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="field-epsilon"]').exists()).toBe(false);

    expect(wrapper.find('[data-testid="field-stepEpochs"]').exists()).toBe(false);
    await field(wrapper, 'schedule').setValue('step');
    expect(wrapper.find('[data-testid="field-stepEpochs"]').exists()).toBe(true);
    await field(wrapper, 'schedule').setValue('onecycle');
    expect(wrapper.find('[data-testid="field-pctStart"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="field-warmupEpochs"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="field-auxLossWeight"]').exists()).toBe(false);
  });

  it('validates every advanced field with the contract schema, errors next to the fields', async () => {
    const client = standardClient();
    const { wrapper, training } = await mountForm(client);
    await field(wrapper, 'optimizer').setValue('momentum');
    await field(wrapper, 'momentum').setValue('1');
    await field(wrapper, 'weightDecay').setValue('-1');
    await field(wrapper, 'labelSmoothing').setValue('1');
    await field(wrapper, 'gradClipNorm').setValue('0');
    await field(wrapper, 'validationFraction').setValue('0.9');
    await field(wrapper, 'seed').setValue('1.5');
    await field(wrapper, 'schedule').setValue('step');
    await field(wrapper, 'warmupEpochs').setValue('101');

    expect(errorOf(wrapper, 'momentum')).toBe('Must be less than 1');
    expect(errorOf(wrapper, 'weightDecay')).toBe('Must be at least 0');
    expect(errorOf(wrapper, 'labelSmoothing')).toBe('Must be less than 1');
    expect(errorOf(wrapper, 'gradClipNorm')).toBe('Must be greater than 0');
    expect(errorOf(wrapper, 'validationFraction')).toBe('Must be at most 0.5');
    expect(errorOf(wrapper, 'seed')).toBe('Must be a whole number');
    expect(errorOf(wrapper, 'stepEpochs')).toBe('Required');
    expect(errorOf(wrapper, 'warmupEpochs')).toBe('Must be at most 100');
    expect(wrapper.get('[data-testid="advanced-errors"]').text()).toBe('8 errors');
    expect(field(wrapper, 'momentum').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="start-button"]').attributes('disabled')).toBeDefined();

    await field(wrapper, 'schedule').setValue('multistep');
    await field(wrapper, 'milestones').setValue('10, x');
    expect(errorOf(wrapper, 'milestones')).toBe('Enter a number');
    await field(wrapper, 'milestones').setValue('');
    expect(errorOf(wrapper, 'milestones')).toBe('Enter at least 1');
    await field(wrapper, 'gamma').setValue('2');
    expect(errorOf(wrapper, 'gamma')).toBe('Must be at most 1');

    await field(wrapper, 'earlyStopping').setValue(true);
    await field(wrapper, 'patience').setValue('0');
    expect(errorOf(wrapper, 'patience')).toBe('Must be at least 1');

    await field(wrapper, 'randomCrop').setValue(true);
    await field(wrapper, 'cropPadding').setValue('65');
    expect(errorOf(wrapper, 'cropPadding')).toBe('Must be at most 64');
    await field(wrapper, 'randomResizedCrop').setValue(true);
    await field(wrapper, 'resizedCropScale').setValue('0.5');
    expect(errorOf(wrapper, 'resizedCropScale')).toBe('Enter two numbers, such as 0.08, 1');
    await field(wrapper, 'resizedCropRatio').setValue('2, 1');
    expect(errorOf(wrapper, 'resizedCropRatio')).toBe('The first number cannot be larger than the second');

    await field(wrapper, 'momentum').setValue('0');
    await field(wrapper, 'nesterov').setValue(true);
    // The contract checks rules between fields once every field has the right type.
    await field(wrapper, 'seed').setValue('7');
    expect(errorOf(wrapper, 'nesterov')).toBe('Nesterov needs a momentum above 0');

    expect(await training.start()).toBe(false);
    expect(client.callsOf('runs.start')).toHaveLength(0);
  });

  it('refuses what the host refuses, with the contract\'s own field: sgd with Nesterov and no momentum', async () => {
    const client = standardClient();
    const { wrapper, training } = await mountForm(client);
    await field(wrapper, 'optimizer').setValue('sgd');
    await field(wrapper, 'nesterov').setValue(true);
    expect(errorOf(wrapper, 'nesterov')).toBe('Nesterov needs a momentum above 0');
    expect(Object.keys(training.fieldErrors)).toEqual(['nesterov']);
    const host = TrainConfigSchema.safeParse(formToConfigInput(training.form));
    expect(host.success).toBe(false);
    expect(host.error!.issues.map((issue) => issue.path.join('.'))).toEqual(['nesterov']);
    expect(await training.start()).toBe(false);
    expect(client.callsOf('runs.start')).toHaveLength(0);

    await field(wrapper, 'momentum').setValue('0.9');
    expect(errorOf(wrapper, 'nesterov')).toBe('');
    expect(training.isValid).toBe(true);
  });

  it('shows the contract\'s range-order rule beside the augmentation field it concerns', async () => {
    const { wrapper } = await mountForm();
    await field(wrapper, 'randomResizedCrop').setValue(true);
    await field(wrapper, 'resizedCropScale').setValue('1, 0.08');
    expect(errorOf(wrapper, 'resizedCropScale')).toBe('The first number cannot be larger than the second');
    expect(errorOf(wrapper, 'resizedCropRatio')).toBe('');
  });

  it('puts a nested host error (schedule.milestones) next to its field and opens the advanced options', async () => {
    const client = standardClient().handle('runs.start', () => ({
      ok: false,
      error: { code: 'invalid_request', message: 'schedule.milestones: must be below the number of epochs', field: 'schedule.milestones' },
    }));
    const { wrapper, training } = await mountForm(client);
    await field(wrapper, 'schedule').setValue('multistep');
    await field(wrapper, 'milestones').setValue('3, 9');
    expect(training.advancedOpen).toBe(false);
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();

    expect(errorOf(wrapper, 'milestones')).toBe('schedule.milestones: must be below the number of epochs');
    expect(wrapper.find('[data-testid="train-error"]').exists()).toBe(false);
    expect(training.advancedOpen).toBe(true);
    expect((wrapper.get('[data-testid="advanced"]').element as HTMLDetailsElement).open).toBe(true);

    await field(wrapper, 'milestones').setValue('2, 4');
    expect(errorOf(wrapper, 'milestones')).toBe('');

    client.handle('runs.start', () => ({ ok: false, error: { code: 'invalid_request', message: 'patience: too large', field: 'earlyStopping.patience' } }));
    await field(wrapper, 'earlyStopping').setValue(true);
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();
    expect(errorOf(wrapper, 'patience')).toBe('patience: too large');
  });

  it('sends the advanced options to runs.start, leaving out what the choices do not use', async () => {
    const client = standardClient();
    const { wrapper } = await mountForm(client);
    await field(wrapper, 'optimizer').setValue('momentum');
    await field(wrapper, 'momentum').setValue('0.95');
    await field(wrapper, 'nesterov').setValue(true);
    await field(wrapper, 'weightDecay').setValue('0.0005');
    await field(wrapper, 'decayNormAndBias').setValue(true);
    await field(wrapper, 'schedule').setValue('cosine');
    await field(wrapper, 'minLearningRate').setValue('0.0001');
    await field(wrapper, 'warmupEpochs').setValue('2');
    await field(wrapper, 'labelSmoothing').setValue('0.1');
    await field(wrapper, 'gradClipNorm').setValue('5');
    await field(wrapper, 'earlyStopping').setValue(true);
    await field(wrapper, 'patience').setValue('3');
    await field(wrapper, 'earlyStoppingMetric').setValue('valAccuracy');
    await field(wrapper, 'bestMetric').setValue('valLoss');
    await field(wrapper, 'randomCrop').setValue(true);
    await field(wrapper, 'horizontalFlip').setValue(true);
    await field(wrapper, 'colorJitter').setValue(true);
    await field(wrapper, 'saturation').setValue('');
    await field(wrapper, 'perLayerGradNorms').setValue(true);
    await field(wrapper, 'validationFraction').setValue('0.2');
    await field(wrapper, 'seed').setValue('7');
    await field(wrapper, 'backend').setValue('cpu');
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();

    const sent = client.callsOf('runs.start')[0] as Record<string, unknown>;
    expect(sent).toMatchObject({
      optimizer: 'momentum',
      momentum: 0.95,
      nesterov: true,
      weightDecay: 0.0005,
      decayNormAndBias: true,
      schedule: { type: 'cosine', minLearningRate: 0.0001 },
      warmupEpochs: 2,
      labelSmoothing: 0.1,
      gradClipNorm: 5,
      earlyStopping: { patience: 3, metric: 'valAccuracy', minDelta: 0 },
      bestMetric: 'valLoss',
      augmentation: { randomCrop: { padding: 4 }, horizontalFlip: true, colorJitter: { brightness: 0.4, contrast: 0.4 } },
      perLayerGradNorms: true,
      validationFraction: 0.2,
      seed: 7,
      backend: 'cpu',
    });
    expect(sent).not.toHaveProperty('epsilon');
    expect(sent).not.toHaveProperty('auxLossWeight');
    expect(sent).not.toHaveProperty('preset');
  });

  it('offers the auxiliary-loss weight only for a model with auxiliary heads, with its default as the placeholder', async () => {
    const googlenet = { name: 'googlenet', family: 'GoogLeNet', input: [224, 224, 3] as [number, number, number], classes: 1000, params: 6_624_904, description: 'Szegedy et al.', auxOutputs: { count: 2, defaultWeight: 0.3 } };
    const client = standardClient().handle('models.list', () => ({ ok: true, value: [...MODELS, googlenet] }));
    const { wrapper } = await mountForm(client, 'googlenet');
    expect(field(wrapper, 'auxLossWeight').attributes('placeholder')).toBe('0.3');
    await field(wrapper, 'auxLossWeight').setValue('11');
    expect(errorOf(wrapper, 'auxLossWeight')).toBe('Must be at most 10');
    await field(wrapper, 'auxLossWeight').setValue('0.5');
    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();
    expect(client.callsOf('runs.start')[0]).toMatchObject({ model: 'googlenet', auxLossWeight: 0.5 });
  });

  it('takes a saved run\'s advanced config back into the form ("new run from this config")', async () => {
    const { training } = await mountForm();
    training.useConfig({
      model: 'resnet18',
      epochs: 3,
      batchSize: 8,
      learningRate: 0.1,
      optimizer: 'sgd',
      momentum: 0.8,
      nesterov: true,
      schedule: { type: 'step', stepEpochs: 2, gamma: 0.5 },
      earlyStopping: { patience: 4, metric: 'valAccuracy' },
      augmentation: { randomResizedCrop: { scale: [0.2, 1], ratio: [0.5, 2] } },
      perLayerGradNorms: true,
      backend: 'wasm',
      preset: { name: 'resnet-imagenet-paper', changed: ['epochs'] },
    });
    expect(training.form).toMatchObject({
      momentum: 0.8,
      nesterov: true,
      schedule: 'step',
      stepEpochs: 2,
      gamma: 0.5,
      earlyStopping: true,
      patience: 4,
      earlyStoppingMetric: 'valAccuracy',
      randomResizedCrop: true,
      resizedCropScale: '0.2, 1',
      resizedCropRatio: '0.5, 2',
      perLayerGradNorms: true,
      backend: 'wasm',
      preset: 'resnet-imagenet-paper',
    });
    expect(training.changedFromRecipe).toContain('schedule');
  });
});

// @vitest-environment jsdom
import { mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { InspectedLayer, ModelInfo, ModelInspection, SwitchSpec } from '../../../src-main/contract';
import TrainForm from '../../../src-renderer/components/train/TrainForm.vue';
import { groupLayers } from '../../../src-renderer/components/models/diagram';
import { createAppI18n } from '../../../src-renderer/i18n';
import modelsEn from '../../../src-renderer/i18n/models.en';
import modelsZhCN from '../../../src-renderer/i18n/models.zh-CN';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { INSPECT_DEBOUNCE_MS, useModelsStore } from '../../../src-renderer/stores/models';
import { useNavigationStore } from '../../../src-renderer/stores/navigation';
import { useSystemStore } from '../../../src-renderer/stores/system';
import { useTrainingStore } from '../../../src-renderer/stores/training';
import ModelsView from '../../../src-renderer/views/ModelsView.vue';
import { settle, standardClient, type FakeClient } from './fake-client';

const common: Record<string, SwitchSpec> = {
  activation: { kind: 'choice', default: 'relu', choices: ['relu', 'leaky_relu', 'sigmoid', 'elu'], description: 'Nonlinearity.' },
  batchNorm: { kind: 'boolean', default: true, description: 'Batch normalisation.' },
  dropout: { kind: 'number', default: 0, min: 0, max: 1, description: 'Dropout rate.' },
};

const ZOO: ModelInfo[] = [
  { name: 'resnet18', family: 'ResNet', input: [224, 224, 3], classes: 1000, params: 11_689_512, description: 'Residuals.', paper: 'He et al., CVPR 2016', switches: { ...common, se: { kind: 'boolean', default: false, description: 'SE.' } } },
  { name: 'resnet20', family: 'ResNet', input: [32, 32, 3], classes: 10, params: 269_722, description: 'CIFAR ResNet.', paper: 'He et al., CVPR 2016', switches: { ...common } },
  { name: 'alexnet', family: 'AlexNet', input: [224, 224, 3], classes: 1000, params: 61_100_840, description: 'ReLU, dropout.', paper: 'Krizhevsky et al., NeurIPS 2012', switches: { ...common, lrn: { kind: 'boolean', default: false, description: 'LRN.' } } },
  { name: 'seresnet50', family: 'SENet', input: [224, 224, 3], classes: 1000, params: 28_088_024, description: 'SE blocks.', paper: 'Hu et al., CVPR 2018', switches: { ...common } },
];

/** A small ResNet-like layer list whose shapes follow the requested input, like the host's dry run. */
function fakeInspection(params: { name: string; input: [number, number, number]; classes: number; batchSize: number; options: Record<string, unknown> }): ModelInspection {
  const [side, , channels] = params.input;
  const half = Math.ceil(side / 2);
  const se = params.options.se === true;
  const layers: InspectedLayer[] = [
    { name: 'input', type: 'InputLayer', outputShape: [side, side, channels], params: 0, trainableParams: 0, macs: 0, receptiveField: 1 },
    { name: 'conv1_conv', type: 'Conv2D', outputShape: [half, half, 64], params: 9408, trainableParams: 9408, macs: half * half * 9408, receptiveField: 7 },
    { name: 'conv1_bn', type: 'BatchNormalization', outputShape: [half, half, 64], params: 256, trainableParams: 128, macs: 0, receptiveField: 7 },
    { name: 'conv2_block1_1_conv', type: 'Conv2D', outputShape: [half, half, 64], params: 36_864, trainableParams: 36_864, macs: half * half * 36_864, receptiveField: 11 },
    ...(se ? [{ name: 'conv2_block1_se_squeeze', type: 'GlobalAveragePooling2D', outputShape: [64], params: 0, trainableParams: 0, macs: 0, receptiveField: 11 }] : []),
    { name: 'conv2_block1_add', type: 'Add', outputShape: [half, half, 64], params: 0, trainableParams: 0, macs: 0, receptiveField: 11 },
    { name: 'avg_pool', type: 'GlobalAveragePooling2D', outputShape: [64], params: 0, trainableParams: 0, macs: 0, receptiveField: 11 },
    { name: 'logits', type: 'Dense', outputShape: [params.classes], params: 65 * params.classes, trainableParams: 65 * params.classes, macs: 64 * params.classes, receptiveField: 11 },
  ];
  const trainable = layers.reduce((sum, layer) => sum + layer.trainableParams, 0);
  const all = layers.reduce((sum, layer) => sum + layer.params, 0);
  const elements = layers.reduce((sum, layer) => sum + layer.outputShape.reduce((a, b) => a * b, 1), 0);
  return {
    name: params.name,
    family: ZOO.find((m) => m.name === params.name)?.family ?? 'ResNet',
    input: params.input,
    classes: params.classes,
    batchSize: params.batchSize,
    options: params.options as ModelInspection['options'],
    params: { trainable, nonTrainable: all - trainable },
    trainingParams: { trainable, nonTrainable: all - trainable },
    macs: layers.reduce((sum, layer) => sum + layer.macs, 0),
    activationBytes: elements * 4 * params.batchSize,
    layers,
  };
}

function modelsClient(): FakeClient {
  return standardClient()
    .handle('models.list', () => ({ ok: true, value: ZOO }))
    .handle('models.inspect', (raw) => {
      const params = raw as Parameters<typeof fakeInspection>[0];
      const dropout = params.options.dropout;
      if (typeof dropout === 'number' && dropout > 1) {
        return { ok: false, error: { code: 'invalid_request', field: 'options.dropout', message: `${params.name}: dropout must be ≥ 0 and ≤ 1; got ${dropout}` } };
      }
      if (params.input[0] < 8) {
        return { ok: false, error: { code: 'invalid_request', field: 'input', message: `input ${params.input.join('×')} is too small for ${params.name}: at layer "conv1_conv" O = (I − K + 2P)/S + 1 = 0 < 1` } };
      }
      return { ok: true, value: fakeInspection(params) };
    });
}

function i18n() {
  const instance = createAppI18n('en');
  instance.global.mergeLocaleMessage('en', { models: modelsEn } as never);
  instance.global.mergeLocaleMessage('zh-CN', { models: modelsZhCN } as never);
  return instance;
}

async function waitForInspection(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, INSPECT_DEBOUNCE_MS + 30));
  await settle();
}

async function mountView(client = modelsClient()) {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnectionStore().attach(client);
  await useSystemStore().load();
  const messages = i18n();
  const wrapper = mount(ModelsView, { global: { plugins: [pinia, messages] }, attachTo: document.body });
  await waitForInspection();
  return { wrapper, client, messages, models: useModelsStore(), training: useTrainingStore() };
}

const inspectCalls = (client: FakeClient) => client.callsOf('models.inspect') as Array<{ name: string; input: number[]; classes: number; batchSize: number; options: Record<string, unknown> }>;
const rowNames = (wrapper: VueWrapper) => wrapper.findAll('[data-testid="models-inspector"] tbody tr[data-layer]').map((row) => row.attributes('data-layer'));

describe('Models screen', () => {
  beforeEach(() => {
    localStorage.clear();
    document.body.innerHTML = '';
  });

  it('shows the families as cards in the order of their papers, each with its idea and citation', async () => {
    const { wrapper } = await mountView();
    const cards = wrapper.findAll('[data-testid^="models-card-"]');
    expect(cards.map((card) => card.attributes('data-testid'))).toEqual(['models-card-alexnet', 'models-card-resnet', 'models-card-senet']);
    const resnet = wrapper.get('[data-testid="models-card-resnet"]');
    expect(resnet.text()).toContain('Residual connections');
    expect(resnet.text()).toContain('He et al., CVPR 2016');
    expect(resnet.text()).toContain('2 variants');
    expect(wrapper.get('[data-testid="models-card-alexnet"]').text()).toMatch(/ReLU.*dropout.*two GPUs/);
    expect(wrapper.get('[data-testid="models-card-senet"]').text()).toContain('Squeeze-and-excitation');
  });

  it('opens on the first family, picks variants from the selected card, and generates the switch form', async () => {
    const { wrapper, client, models } = await mountView();
    expect(models.variant).toBe('alexnet');
    expect(wrapper.get('[data-testid="models-card-alexnet"]').attributes('aria-pressed')).toBe('true');
    expect(inspectCalls(client).at(-1)).toMatchObject({ name: 'alexnet', input: [224, 224, 3], classes: 1000, options: {} });

    await wrapper.get('[data-testid="models-card-resnet"]').trigger('click');
    const variant = wrapper.get('[data-testid="models-variant"]');
    expect(variant.findAll('option').map((option) => option.attributes('value'))).toEqual(['resnet18', 'resnet20']);
    expect((variant.element as HTMLSelectElement).value).toBe('resnet18');
    expect(wrapper.get('[data-testid="models-switch-se"]').attributes('type')).toBe('checkbox');
    expect(wrapper.get('[data-testid="models-switch-activation"]').findAll('option')).toHaveLength(4);
    expect(wrapper.get('[data-testid="models-switch-dropout"]').attributes()).toMatchObject({ type: 'number', min: '0', max: '1' });
    expect(wrapper.find('[data-testid="models-switch-lrn"]').exists()).toBe(false);

    await variant.setValue('resnet20');
    expect((wrapper.get('[data-testid="models-input"]').element as HTMLInputElement).value).toBe('32');
    await waitForInspection();
    expect(inspectCalls(client).at(-1)).toMatchObject({ name: 'resnet20', input: [32, 32, 3], classes: 10 });
  });

  it('shows a switch error next to that switch, and clears it when the value is fixed', async () => {
    const { wrapper } = await mountView();
    await wrapper.get('[data-testid="models-card-resnet"]').trigger('click');
    await waitForInspection();

    await wrapper.get('[data-testid="models-switch-dropout"]').setValue('2');
    await waitForInspection();
    expect(wrapper.get('[data-testid="models-switch-error-dropout"]').text()).toBe('resnet18: dropout must be ≥ 0 and ≤ 1; got 2');
    expect(wrapper.get('[data-testid="models-switch-dropout"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="models-switch-error-se"]').text()).toBe('');
    expect(wrapper.find('[data-testid="models-error"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="models-train-button"]').attributes('disabled')).toBeDefined();

    await wrapper.get('[data-testid="models-switch-dropout"]').setValue('');
    expect(wrapper.get('[data-testid="models-switch-error-dropout"]').text()).toBe('Enter a number');

    await wrapper.get('[data-testid="models-switch-dropout"]').setValue('0.5');
    await waitForInspection();
    expect(wrapper.get('[data-testid="models-switch-error-dropout"]').text()).toBe('');
    expect(wrapper.get('[data-testid="models-train-button"]').attributes('disabled')).toBeUndefined();
  });

  it('puts a too-small input error, naming the layer and the formula, under the input size', async () => {
    const { wrapper } = await mountView();
    await wrapper.get('[data-testid="models-input"]').setValue('4');
    await waitForInspection();
    expect(wrapper.get('[data-testid="models-error-input"]').text()).toMatch(/at layer "conv1_conv" O = \(I − K \+ 2P\)\/S \+ 1/);
  });

  it('puts an input side out of range under the input size, in words, and asks the host nothing', async () => {
    const { wrapper, client } = await mountView();
    await waitForInspection();
    const calls = inspectCalls(client).length;
    await wrapper.get('[data-testid="models-input"]').setValue('5000');
    await waitForInspection();
    expect(wrapper.get('[data-testid="models-error-input"]').text()).toBe('A whole number from 1 to 4,096');
    expect(wrapper.find('[data-testid="models-error"]').exists()).toBe(false);
    expect(inspectCalls(client)).toHaveLength(calls);
  });

  it("puts the host's error about one side of the input (input.0) under the input size", async () => {
    const { wrapper, client } = await mountView();
    client.handle('models.inspect', () => ({ ok: false, error: { code: 'invalid_request', field: 'input.0', message: 'input.0: too big' } }));
    await wrapper.get('[data-testid="models-input"]').setValue('300');
    await waitForInspection();
    expect(wrapper.get('[data-testid="models-error-input"]').text()).toBe('input.0: too big');
    expect(wrapper.find('[data-testid="models-error"]').exists()).toBe(false);
  });

  it('updates the inspector table and its totals as the input, classes, switches and batch size change; columns sort', async () => {
    const { wrapper, client } = await mountView();
    await wrapper.get('[data-testid="models-card-resnet"]').trigger('click');
    await waitForInspection();
    const inspector = () => wrapper.get('[data-testid="models-inspector"]');
    expect(inspector().get('tr[data-layer="conv1_conv"]').text()).toContain('112×112×64');
    expect(inspector().get('[data-testid="models-total-trainable"]').text()).toContain((9408 + 128 + 36_864 + 65_000).toLocaleString('en-US'));

    const calls = inspectCalls(client).length;
    await wrapper.get('[data-testid="models-input"]').setValue('64');
    await wrapper.get('[data-testid="models-classes"]').setValue('10');
    await wrapper.get('[data-testid="models-switch-se"]').setValue(true);
    await waitForInspection();
    // One request for the burst of edits (debounced), with the changed switch only.
    expect(inspectCalls(client)).toHaveLength(calls + 1);
    expect(inspectCalls(client).at(-1)).toMatchObject({ name: 'resnet18', input: [64, 64, 3], classes: 10, options: { se: true } });
    expect(inspector().get('tr[data-layer="conv1_conv"]').text()).toContain('32×32×64');
    expect(inspector().get('tr[data-layer="logits"]').text()).toContain('650');
    expect(rowNames(wrapper)).toContain('conv2_block1_se_squeeze');

    await wrapper.get('[data-testid="models-batch-size"]').setValue('2');
    await waitForInspection();
    expect(inspector().get('[data-testid="models-total-activations"]').text()).toContain('batch of 2');

    await inspector().get('[data-testid="models-sort-params"]').trigger('click');
    expect(rowNames(wrapper).slice(0, 2)).toEqual(['conv2_block1_1_conv', 'conv1_conv']);
    await inspector().get('[data-testid="models-sort-params"]').trigger('click');
    expect(rowNames(wrapper).at(-1)).toBe('conv2_block1_1_conv');
    await inspector().get('[data-testid="models-inspector-filter"]').setValue('bn');
    expect(rowNames(wrapper)).toEqual(['conv1_bn']);
  });

  it('shows both parameter counts, labelled, when the training graph has auxiliary heads; one otherwise', async () => {
    const { wrapper, client, messages } = await mountView();
    const inspector = () => wrapper.get('[data-testid="models-inspector"]');
    expect(inspector().get('[data-testid="models-total-trainable"]').text()).toContain('Trainable parameters');
    expect(inspector().get('[data-testid="models-total-trainable"]').text()).not.toContain('inference');
    expect(inspector().find('[data-testid="models-total-trainableTraining"]').exists()).toBe(false);

    client.handle('models.inspect', (raw) => {
      const inspection = fakeInspection(raw as Parameters<typeof fakeInspection>[0]);
      return { ok: true, value: { ...inspection, params: { trainable: 23_834_568, nonTrainable: 34_432 }, trainingParams: { trainable: 27_161_264, nonTrainable: 34_944 } } };
    });
    await wrapper.get('[data-testid="models-input"]').setValue('299');
    await waitForInspection();
    expect(inspector().get('[data-testid="models-total-trainable"]').text()).toBe('Trainable parameters (inference)23,834,568');
    expect(inspector().get('[data-testid="models-total-trainableTraining"]').text()).toBe('Trainable parameters while training (with the auxiliary heads)27,161,264');

    messages.global.locale.value = 'zh-CN';
    await settle();
    expect(inspector().get('[data-testid="models-total-trainable"]').text()).toBe('可训练参数（推理）23,834,568');
    expect(inspector().get('[data-testid="models-total-trainableTraining"]').text()).toBe('训练时的可训练参数（含辅助分类器）27,161,264');
  });

  it('draws the block diagram from the layer list, one box per name prefix', async () => {
    const { wrapper } = await mountView();
    await wrapper.get('[data-testid="models-card-resnet"]').trigger('click');
    await waitForInspection();
    const boxes = wrapper.findAll('[data-testid="models-diagram"] [data-block]').map((box) => box.attributes('data-block'));
    expect(boxes).toEqual(['input', 'conv1', 'conv2_block1', 'avg_pool', 'logits']);
    expect(wrapper.get('[data-testid="models-diagram"] [data-block="conv2_block1"]').text()).toContain('112×112×64');
  });

  it('"Train this model" fills the training store with the variant and its changed switches, and goes to Train', async () => {
    const { wrapper, training } = await mountView();
    const navigation = useNavigationStore();
    navigation.go('runs');
    await wrapper.get('[data-testid="models-card-resnet"]').trigger('click');
    await wrapper.get('[data-testid="models-switch-se"]').setValue(true);
    await wrapper.get('[data-testid="models-switch-activation"]').setValue('elu');
    await waitForInspection();
    await wrapper.get('[data-testid="models-train-button"]').trigger('click');
    expect(training.form.model).toBe('resnet18');
    expect(training.modelOptions).toEqual({ se: true, activation: 'elu' });
    expect(navigation.screen).toBe('train');
  });
});

describe('switches on the Train form', () => {
  beforeEach(() => localStorage.clear());

  it('shows the chosen switches with a link back to Models and sends them as modelOptions', async () => {
    const client = modelsClient();
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(client);
    const system = useSystemStore();
    await system.load();
    const training = useTrainingStore();
    training.ensureSelections(system.models, system.datasets);
    training.useModel('resnet18', { se: true, dropout: 0.3 });
    const wrapper = mount(TrainForm, { global: { plugins: [pinia, i18n()] } });
    await settle();

    expect(wrapper.get('[data-testid="train-switches-summary"]').text()).toBe('Squeeze-and-excitation = on · Dropout rate = 0.3');
    expect(wrapper.get('[data-testid="train-switches-link"]').attributes('href')).toBe('#/models');

    await wrapper.get('[data-testid="start-button"]').trigger('click');
    await settle();
    expect(client.callsOf('runs.start')[0]).toMatchObject({ model: 'resnet18', modelOptions: { se: true, dropout: 0.3 } });
  });

  it('drops the switches when another model is picked, and keeps them across a reload', async () => {
    const client = modelsClient();
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(client);
    const system = useSystemStore();
    await system.load();
    useTrainingStore().useModel('resnet18', { se: true });
    await settle();

    // A reload: a new store reads what was saved.
    setActivePinia(createPinia());
    useConnectionStore().attach(client);
    const training = useTrainingStore();
    expect(training.form.model).toBe('resnet18');
    expect(training.modelOptions).toEqual({ se: true });

    training.form.model = 'alexnet';
    expect(training.modelOptions).toEqual({});
    training.form.model = 'resnet18';
    expect(training.modelOptions).toEqual({ se: true });
  });

  it('the Models screen opens on the Train form’s model and switches', async () => {
    const client = modelsClient();
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(client);
    await useSystemStore().load();
    useTrainingStore().useModel('resnet20', { dropout: 0.2 });
    const wrapper = mount(ModelsView, { global: { plugins: [pinia, i18n()] } });
    await waitForInspection();
    expect((wrapper.get('[data-testid="models-variant"]').element as HTMLSelectElement).value).toBe('resnet20');
    expect((wrapper.get('[data-testid="models-switch-dropout"]').element as HTMLInputElement).value).toBe('0.2');
    expect(inspectCalls(client).at(-1)).toMatchObject({ name: 'resnet20', options: { dropout: 0.2 } });
  });
});

describe('diagram grouping', () => {
  const layer = (name: string, macs = 0): InspectedLayer => ({ name, type: 'X', outputShape: [1], params: 0, trainableParams: 0, macs, receptiveField: 1 });

  it('groups by the zoo’s name prefixes', () => {
    const names = [
      'input', 'conv1_conv', 'conv1_relu', 'pool1', 'block1_conv1_conv', 'block1_pool', 'conv3_block2_1_conv', 'conv3_block2_add',
      'inception4a_branch1_conv', 'inception4a_concat', 'mixed5b_branch1x1_conv', 'aux1_conv', 'aux1_fc', 'flatten', 'fc1_dropout', 'fc1', 'avg_pool', 'logits',
    ];
    const blocks = groupLayers(names.map((name) => layer(name, name === 'pool2_conv' ? 1 : 0)));
    expect(blocks.map((block) => [block.key, block.kind])).toEqual([
      ['input', 'input'], ['conv1', 'stem'], ['pool1', 'pool'], ['block1', 'stem'], ['conv3_block2', 'block'], ['inception4a', 'module'],
      ['mixed5b', 'module'], ['aux1', 'aux'], ['flatten', 'head'], ['fc1', 'head'], ['avg_pool', 'pool'], ['logits', 'head'],
    ]);
    expect(groupLayers([layer('pool2_bn'), layer('pool2_conv', 10), layer('pool2_pool')])).toMatchObject([{ key: 'pool2', kind: 'transition', layers: 3, macs: 10 }]);
  });
});

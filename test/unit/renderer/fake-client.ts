/** A ContractClient double: canned answers per method, a log of calls, and events on demand. */
import {
  TrainConfigSchema,
  type ContractClient,
  type DatasetInfo,
  type EventMessage,
  type MethodName,
  type ModelInfo,
  type Recipe,
  type Result,
  type RunDetail,
  type RunSummary,
} from '../../../src-main/contract';

type Handler = (params: unknown) => Result<unknown> | Promise<Result<unknown>>;

export class FakeClient implements ContractClient {
  readonly calls: Array<{ method: MethodName; params: unknown }> = [];
  private readonly handlers = new Map<MethodName, Handler>();
  private readonly listeners = new Set<(message: EventMessage) => void>();

  constructor(handlers: Partial<Record<MethodName, Handler>> = {}) {
    for (const [method, handler] of Object.entries(handlers)) this.handlers.set(method as MethodName, handler as Handler);
  }

  handle(method: MethodName, handler: Handler): this {
    this.handlers.set(method, handler);
    return this;
  }

  call = (async (method: MethodName, params: unknown) => {
    this.calls.push({ method, params });
    const handler = this.handlers.get(method);
    if (!handler) return { ok: false, error: { code: 'unknown_method', message: `no fake for ${method}` } };
    return handler(params);
  }) as ContractClient['call'];

  on(listener: (message: EventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(message: EventMessage): void {
    this.listeners.forEach((listener) => listener(message));
  }

  callsOf(method: MethodName): unknown[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.params);
  }
}

export const MODELS: ModelInfo[] = [
  { name: 'alexnet', family: 'AlexNet', input: [224, 224, 3], classes: 1000, params: 61_100_840, description: 'Krizhevsky et al.' },
  { name: 'resnet18', family: 'ResNet', input: [224, 224, 3], classes: 1000, params: 11_689_512, description: 'He et al.' },
];

export const DATASETS: DatasetInfo[] = [
  { id: 'fashion-mnist-subset', name: 'Fashion-MNIST subset', classes: ['a', 'b'], input: [28, 28, 1], trainCount: 600, testCount: 100, source: 'bundled' },
];

export function summary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    id: 'run-1',
    model: 'resnet18',
    dataset: 'fashion-mnist-subset',
    status: 'running',
    createdAt: '2025-01-01T10:00:00.000Z',
    startedAt: '2025-01-01T10:00:01.000Z',
    endedAt: null,
    backend: 'wasm',
    epochsDone: 0,
    steps: 0,
    final: { trainLoss: null, trainAccuracy: null, valLoss: null, valAccuracy: null },
    error: null,
    damaged: null,
    ...overrides,
  };
}

export function detail(overrides: Partial<RunDetail> = {}): RunDetail {
  return {
    ...summary(),
    config: TrainConfigSchema.parse({ model: 'resnet18', dataset: 'fashion-mnist-subset', epochs: 3, batchSize: 16, learningRate: 0.01, optimizer: 'sgd' }),
    metrics: [],
    ...overrides,
  };
}

export function stepLine(step: number, epoch = 1) {
  return { type: 'step' as const, step, epoch, loss: 2 / step, accuracy: step / 100, learningRate: 0.01, imagesPerSec: 100, time: step };
}

export function gradsLine(step: number, layers: Record<string, number> = { conv1: 0.5, block1_conv: 0.05, fc: 0.002 }, epoch = 1) {
  return { type: 'grads' as const, step, epoch, layers, time: step };
}

/** Two recipes of the ResNet family and one of another, in the host's shape. */
export const RECIPES: Recipe[] = [
  {
    name: 'resnet-imagenet-paper',
    family: 'ResNet',
    scale: 'paper',
    title: 'ResNet (ImageNet), as in the paper',
    paper: 'He et al., CVPR 2016, §3.4',
    models: ['resnet18', 'resnet34'],
    data: 'ImageNet, 224×224',
    config: { epochs: 90, batchSize: 256, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [30, 60], gamma: 0.1 } },
    augmentation: ['scale augmentation', 'horizontal flip'],
    augment: { horizontalFlip: true },
    notes: '',
  },
  {
    name: 'resnet-cifar-laptop',
    family: 'ResNet',
    scale: 'laptop',
    title: 'ResNet (CIFAR-10), laptop scale',
    paper: 'after He et al. 2016',
    models: ['resnet20'],
    data: 'your images at 32×32',
    config: { epochs: 30, batchSize: 64, learningRate: 0.05, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [15, 23], gamma: 0.1 } },
    augmentation: ['random crop 32×32 from the image padded by 4 pixels', 'horizontal flip'],
    augment: { randomCrop: { padding: 4 }, horizontalFlip: true },
    notes: '',
  },
  {
    name: 'alexnet-laptop',
    family: 'AlexNet',
    scale: 'laptop',
    title: 'AlexNet, laptop scale',
    paper: 'after Krizhevsky et al. 2012',
    models: ['alexnet'],
    data: 'your images at 32×32',
    config: { epochs: 30, batchSize: 64, learningRate: 0.005, optimizer: 'momentum', momentum: 0.9, weightDecay: 5e-4, schedule: { type: 'multistep', milestones: [10, 20, 27], gamma: 0.1 } },
    augmentation: ['random crop 32×32 from the image padded by 4 pixels', 'horizontal flip'],
    augment: { randomCrop: { padding: 4 }, horizontalFlip: true },
    notes: '',
  },
];

export function epochLine(epoch: number, step: number) {
  return { type: 'epoch' as const, epoch, step, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1.1, valAccuracy: 0.45, time: step };
}

/** A host that knows the catalog and starts runs; override per test. */
export function standardClient(): FakeClient {
  return new FakeClient({
    'system.info': () => ({ ok: true, value: { version: '0.1.0', platform: 'linux', home: '/h', mode: 'test', backend: { name: 'wasm', device: 'XNNPACK', passedOver: [] } } }),
    'models.list': () => ({ ok: true, value: MODELS }),
    'datasets.list': () => ({ ok: true, value: DATASETS }),
    'recipes.list': () => ({ ok: true, value: RECIPES }),
    'runs.list': () => ({ ok: true, value: [] }),
    'runs.start': () => ({ ok: true, value: summary({ status: 'queued' }) }),
    'runs.get': () => ({ ok: true, value: detail() }),
    'runs.stop': () => ({ ok: true, value: summary({ status: 'stopped' }) }),
  });
}

/** Lets pending promise callbacks (fake calls, store actions) run. */
export async function settle(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

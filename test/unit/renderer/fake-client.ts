/** A ContractClient double: canned answers per method, a log of calls, and events on demand. */
import { TrainConfigSchema, type ContractClient, type EventMessage, type MethodName, type ModelInfo, type DatasetInfo, type Result, type RunDetail, type RunSummary } from '../../../src-main/contract';

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

export function epochLine(epoch: number, step: number) {
  return { type: 'epoch' as const, epoch, step, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1.1, valAccuracy: 0.45, time: step };
}

/** A host that knows the catalog and starts runs; override per test. */
export function standardClient(): FakeClient {
  return new FakeClient({
    'system.info': () => ({ ok: true, value: { version: '0.1.0', platform: 'linux', home: '/h', mode: 'test', backend: { name: 'wasm', device: 'XNNPACK', passedOver: [] } } }),
    'models.list': () => ({ ok: true, value: MODELS }),
    'datasets.list': () => ({ ok: true, value: DATASETS }),
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

/**
 * A small ContractHost for transport tests: it validates every request with the contract's
 * parseRequest, keeps runs in memory, and lets a test emit events and count subscribers.
 */
import { parseRequest, type EventMessage, type Result, type RunDetail, type RunSummary, type TrainConfig } from '../../../src-main/contract';
import type { ContractHost } from '../../../src-main/core/host';

export interface FakeHost extends ContractHost {
  emit(message: EventMessage): void;
  listenerCount(): number;
  /** Every request that passed validation, as the host saw it. */
  received: Array<{ method: string; params: unknown }>;
}

export function createFakeHost(): FakeHost {
  const listeners = new Set<(message: EventMessage) => void>();
  const runs = new Map<string, RunDetail>();
  const received: FakeHost['received'] = [];

  function emit(message: EventMessage): void {
    for (const listener of [...listeners]) listener(message);
  }

  function notFound(id: string): Result<never> {
    return { ok: false, error: { code: 'not_found', message: `no run ${JSON.stringify(id)}`, field: 'id' } };
  }

  function summary(run: RunDetail): RunSummary {
    const { config: _config, metrics: _metrics, ...rest } = run;
    return rest;
  }

  return {
    received,
    emit,
    listenerCount: () => listeners.size,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async request(method, params) {
      const parsed = parseRequest(method, params);
      if (!parsed.ok) return parsed;
      received.push({ method: parsed.method, params: parsed.params });
      switch (parsed.method) {
        case 'system.info':
          return { ok: true, value: { version: '0.0.0-test', platform: process.platform, home: '/tmp/cvb-fake', mode: 'test', backend: null } };
        case 'models.list':
          return {
            ok: true,
            value: [{ name: 'resnet18', family: 'resnet', input: [32, 32, 3], classes: 10, params: 11_181_642, description: 'ResNet-18' }],
          };
        case 'datasets.list':
          return { ok: true, value: [] };
        case 'runs.list':
          return { ok: true, value: [...runs.values()].map(summary) };
        case 'runs.start': {
          const config = parsed.params as TrainConfig;
          const id = `run-${runs.size + 1}`;
          const run: RunDetail = {
            id,
            model: config.model,
            dataset: config.dataset,
            status: 'queued',
            createdAt: new Date(0).toISOString(),
            startedAt: null,
            endedAt: null,
            backend: null,
            epochsDone: 0,
            steps: 0,
            final: { trainLoss: null, trainAccuracy: null, valLoss: null, valAccuracy: null },
            error: null,
            damaged: null,
            config,
            metrics: [],
          };
          runs.set(id, run);
          emit({ event: 'run.status', data: { runId: id, status: 'queued', error: null } });
          return { ok: true, value: summary(run) };
        }
        case 'runs.stop': {
          const { id } = parsed.params as { id: string };
          const run = runs.get(id);
          if (!run) return notFound(id);
          if (run.status !== 'queued' && run.status !== 'running') {
            return { ok: false, error: { code: 'conflict', message: `run ${id} is ${run.status}, not running` } };
          }
          run.status = 'stopped';
          return { ok: true, value: summary(run) };
        }
        case 'runs.get': {
          const { id } = parsed.params as { id: string };
          const run = runs.get(id);
          return run ? { ok: true, value: run } : notFound(id);
        }
        default:
          // The transports carry every method alike; the suite needs only the ones above.
          return { ok: false, error: { code: 'unavailable', message: `the fake host does not implement ${parsed.method}` } };
      }
    },
  };
}

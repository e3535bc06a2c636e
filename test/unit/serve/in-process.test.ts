import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../../src-main/contract';
import { createInProcessClient } from '../../../src-main/serve/in-process';
import { createFakeHost } from './fake-host';

describe('the in-process client', () => {
  it('hands the host a copy of the params, and the caller a copy of the result', async () => {
    const host = createFakeHost();
    const client = createInProcessClient(host);
    const config = { model: 'resnet18', epochs: 1, batchSize: 8, learningRate: 0.01 };
    const started = await client.call('runs.start', config);
    config.model = 'changed-after-the-call';
    expect((host.received[0].params as { model: string }).model).toBe('resnet18');
    expect(started.ok).toBe(true);
    if (started.ok) started.value.model = 'changed-by-the-caller';
    const detail = await client.call('runs.get', { id: 'run-1' });
    expect(detail.ok && detail.value.model).toBe('resnet18');
  });

  it('refuses params that would not survive the wire', async () => {
    const host = createFakeHost();
    const result = await createInProcessClient(host).call('runs.get', { id: 10n } as never);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(host.received).toEqual([]);
  });

  it('answers internal when the host throws', async () => {
    const host = createFakeHost();
    host.request = async () => {
      throw new Error('boom');
    };
    expect(await createInProcessClient(host).call('system.info', {})).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('delivers events after the host’s emit returns, and stops after unsubscribe', async () => {
    const host = createFakeHost();
    const received: EventMessage[] = [];
    const unsubscribe = createInProcessClient(host).on((message) => received.push(message));
    const event: EventMessage = { event: 'run.status', data: { runId: 'run-1', status: 'running', error: null } };
    host.emit(event);
    expect(received).toEqual([]);
    await Promise.resolve();
    expect(received).toEqual([event]);
    expect(received[0]).not.toBe(event);
    host.emit(event);
    unsubscribe();
    await Promise.resolve();
    expect(received).toHaveLength(1);
    expect(host.listenerCount()).toBe(0);
  });
});

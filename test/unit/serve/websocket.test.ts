import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { EventMessage } from '../../../src-main/contract';
import { DEFAULT_LIMITS, startServer, WS_PATH, type RunningServer, type ServerOptions } from '../../../src-main/serve/server';
import { createWebSocketClient } from '../../../src-renderer/api/websocket-client';
import { createFakeHost, type FakeHost } from './fake-host';
import { closed, nextMessage, tryWebSocket, until } from './http-helpers';
import { makeRendererDir, nodeSocketFactory } from './transports';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(host: FakeHost = createFakeHost(), options: Partial<ServerOptions> = {}): Promise<{ server: RunningServer; host: FakeHost }> {
  const folder = await makeRendererDir();
  cleanups.push(folder.cleanup);
  const server = await startServer({ ...options, host, rendererDir: folder.rendererDir });
  cleanups.push(server.close);
  return { server, host };
}

async function open(server: RunningServer, options: { autoPong?: boolean } = {}): Promise<WebSocket> {
  const outcome = await tryWebSocket(
    `ws://127.0.0.1:${server.port}${WS_PATH}?token=${server.token}`,
    { Origin: `http://127.0.0.1:${server.port}` },
    options,
  );
  if (!outcome.opened) throw new Error(`upgrade refused with ${outcome.status}`);
  cleanups.push(() => outcome.socket.terminate());
  return outcome.socket;
}

const progress = (step: number, padding = ''): EventMessage => ({
  event: 'run.progress',
  data: {
    runId: 'run-1',
    epoch: 1,
    epochs: 1,
    step,
    stepsPerEpoch: 1,
    totalSteps: 1,
    imagesPerSec: 1,
    etaSeconds: padding.length,
    metrics: padding ? [{ type: 'step', step, epoch: 1, loss: 0, accuracy: 0, learningRate: 0, imagesPerSec: 0, time: 0, note: padding } as never] : [],
  },
});

describe('messages on the socket', () => {
  it('answers a request with {type: result, id, result}', async () => {
    const { server } = await serve();
    const socket = await open(server);
    socket.send(JSON.stringify({ id: 41, method: 'runs.get', params: { id: '../x' } }));
    expect(await nextMessage(socket)).toEqual({
      type: 'result',
      id: 41,
      result: { ok: false, error: expect.objectContaining({ code: 'invalid_request', field: 'id' }) },
    });
  });

  it.each([
    ['text that is not JSON', 'hello', -1, undefined],
    ['a JSON array', '[1, 2]', -1, undefined],
    ['a JSON string', '"system.info"', -1, undefined],
    ['null', 'null', -1, undefined],
    ['a negative id', '{"id": -3, "method": "system.info"}', -1, 'id'],
    ['a fractional id', '{"id": 1.5, "method": "system.info"}', -1, 'id'],
    ['a method that is not a string', '{"id": 5, "method": 7}', 5, 'method'],
    ['no method', '{"id": 6}', 6, 'method'],
  ])('answers %s with an invalid_request result, and keeps serving', async (_what, text, id, field) => {
    const { server } = await serve();
    const socket = await open(server);
    socket.send(text);
    const answer = (await nextMessage(socket)) as { type: string; id: number; result: { ok: boolean; error: { code: string; field?: string } } };
    expect(answer.type).toBe('result');
    expect(answer.id).toBe(id);
    expect(answer.result.ok).toBe(false);
    expect(answer.result.error.code).toBe('invalid_request');
    expect(answer.result.error.field).toBe(field);
    socket.send(JSON.stringify({ id: 9, method: 'system.info', params: {} }));
    expect(await nextMessage(socket)).toMatchObject({ type: 'result', id: 9, result: { ok: true } });
  });

  it('answers a binary message with an error', async () => {
    const { server } = await serve();
    const socket = await open(server);
    socket.send(Buffer.from(JSON.stringify({ id: 1, method: 'system.info', params: {} })));
    expect(await nextMessage(socket)).toMatchObject({ id: -1, result: { ok: false, error: { code: 'invalid_request' } } });
  });

  it('answers with internal when the host throws, instead of crashing', async () => {
    const host = createFakeHost();
    host.request = async () => {
      throw new Error('boom');
    };
    const { server } = await serve(host);
    const socket = await open(server);
    socket.send(JSON.stringify({ id: 3, method: 'system.info', params: {} }));
    expect(await nextMessage(socket)).toMatchObject({ id: 3, result: { ok: false, error: { code: 'internal' } } });
  });

  it('closes a socket that sends more than the payload limit, and serves the next one', async () => {
    const { server, host } = await serve();
    const socket = await open(server);
    socket.send(JSON.stringify({ id: 1, method: 'system.info', params: { padding: 'x'.repeat(DEFAULT_LIMITS.maxPayloadBytes) } }));
    expect(await closed(socket)).toBe(1009);
    expect(host.received).toEqual([]);
    const next = await open(server);
    next.send(JSON.stringify({ id: 2, method: 'system.info', params: {} }));
    expect(await nextMessage(next)).toMatchObject({ id: 2, result: { ok: true } });
  });
});

describe('events', () => {
  it('broadcasts each event to every open socket as {type: event, event, data}', async () => {
    const { server, host } = await serve();
    const sockets = [await open(server), await open(server)];
    await until(() => host.listenerCount() === 2, 'two subscriptions');
    const messages = sockets.map((socket) => nextMessage(socket));
    host.emit(progress(1));
    for (const message of await Promise.all(messages)) {
      expect(message).toEqual({ type: 'event', event: 'run.progress', data: progress(1).data });
    }
  });

  it('unsubscribes a socket from the host when it closes, and all of them when the server closes', async () => {
    const { server, host } = await serve();
    const first = await open(server);
    await open(server);
    await until(() => host.listenerCount() === 2, 'two subscriptions');
    first.close();
    await until(() => host.listenerCount() === 1, 'one subscription after a close');
    await server.close();
    await until(() => host.listenerCount() === 0, 'no subscription after the server closed');
    await server.close(); // idempotent
  });

  it('drops a socket that stops reading instead of buffering without bound', async () => {
    const { server, host } = await serve(createFakeHost(), { limits: { maxBufferedBytes: 256 * 1024 } });
    const slow = await open(server);
    const healthy = await open(server);
    await until(() => host.listenerCount() === 2, 'two subscriptions');
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    let healthyEvents = 0;
    healthy.on('message', () => healthyEvents++);
    const padding = 'x'.repeat(64 * 1024);
    for (let step = 0; step < 2000 && host.listenerCount() === 2; step++) {
      host.emit(progress(step, padding));
      if (step % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await until(() => host.listenerCount() === 1, 'the slow socket to be dropped');
    await until(() => healthyEvents > 0, 'the healthy socket to keep receiving');
  });

  it('drops a socket that stops answering pings', async () => {
    const { server, host } = await serve(createFakeHost(), { limits: { heartbeatMs: 50 } });
    const silent = await open(server, { autoPong: false });
    const lively = await open(server);
    await until(() => host.listenerCount() === 2, 'two subscriptions');
    await closed(silent);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lively.readyState).toBe(lively.OPEN);
    expect(host.listenerCount()).toBe(1);
  });
});

describe('the renderer client against the server', () => {
  it('fails calls in flight with unavailable when the server goes away', async () => {
    const host = createFakeHost();
    let reached = false;
    host.request = () => {
      reached = true;
      return new Promise(() => {});
    };
    const { server } = await serve(host);
    const client = createWebSocketClient(`ws://127.0.0.1:${server.port}${WS_PATH}?token=${server.token}`, nodeSocketFactory(`http://127.0.0.1:${server.port}`));
    cleanups.push(() => client.close());
    await client.ready();
    const pending = client.call('system.info', {});
    await until(() => reached, 'the request to reach the host');
    await server.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });
});

// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { connectContract, openConnection, webSocketUrl } from '../../../src-renderer/api';
import { FakeClient } from './fake-client';

type Listener = (event: { data?: unknown }) => void;

class FakeSocket {
  static made: FakeSocket[] = [];
  readyState = 0;
  readonly listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(): void {}
  close(): void {}
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: string): void {
    if (type === 'open') this.readyState = 1;
    this.listeners.get(type)?.forEach((listener) => listener({}));
  }
}

describe('transport choice', () => {
  afterEach(() => {
    delete window.cvb;
    FakeSocket.made = [];
  });

  it('prefers the Electron bridge when window.cvb exists', () => {
    const bridge = new FakeClient();
    window.cvb = bridge;
    const connection = openConnection((url) => new FakeSocket(url));
    expect(connection.client).toBe(bridge);
    expect(connection.transport).toBe('electron');
    expect(connection.onConnectionChange).toBeUndefined();
    expect(connectContract()).toBe(bridge);
    expect(FakeSocket.made).toHaveLength(0);
  });

  it('falls back to the WebSocket on the page origin and reports its state', async () => {
    const connection = openConnection((url) => new FakeSocket(url));
    expect(connection.transport).toBe('websocket');
    expect(FakeSocket.made).toHaveLength(1);
    const states: boolean[] = [];
    connection.onConnectionChange?.((connected) => states.push(connected));
    FakeSocket.made[0].fire('open');
    await connection.ready();
    expect(states).toEqual([true]);
    (connection.client as unknown as { close(): void }).close();
  });

  it('builds the socket URL with the page token', () => {
    expect(webSocketUrl({ protocol: 'https:', host: 'gpu:8443', search: '?token=a b' })).toBe('wss://gpu:8443/api/ws?token=a%20b');
    expect(webSocketUrl({ protocol: 'http:', host: 'localhost:5199', search: '' })).toBe('ws://localhost:5199/api/ws?token=');
  });
});

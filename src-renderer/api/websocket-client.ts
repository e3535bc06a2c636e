/**
 * The contract over WebSocket (browser mode, `cvb serve`). Requests carry an id; results come back
 * with the same id; events are pushed. Reconnects with backoff so a server restart is survived.
 */
import type { ContractClient, EventMessage, MethodName, RequestOf, ResponseOf, Result, WireMessage } from '../../src-main/contract';

type SocketLike = {
  readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: { data?: unknown }) => void): void;
};
export type SocketFactory = (url: string) => SocketLike;

const OPEN = 1;

export interface WebSocketClient extends ContractClient {
  close(): void;
  /** Resolves when the socket is open (the first time, or again after a reconnect). */
  ready(): Promise<void>;
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}

export function createWebSocketClient(url: string, factory: SocketFactory = (u) => new WebSocket(u) as unknown as SocketLike): WebSocketClient {
  let socket: SocketLike | null = null;
  let nextId = 1;
  let closed = false;
  let retryDelay = 250;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const queue: string[] = [];
  const listeners = new Set<(message: EventMessage) => void>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  let readyWaiters: Array<() => void> = [];

  function connect(): void {
    const current = factory(url);
    socket = current;
    current.addEventListener('open', () => {
      retryDelay = 250;
      for (const text of queue.splice(0)) current.send(text);
      connectionListeners.forEach((listener) => listener(true));
      readyWaiters.forEach((resolve) => resolve());
      readyWaiters = [];
    });
    current.addEventListener('message', (event) => {
      let message: WireMessage;
      try {
        message = JSON.parse(String(event.data)) as WireMessage;
      } catch {
        return;
      }
      if (message.type === 'result') {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      } else if (message.type === 'event') {
        const eventMessage = { event: message.event, data: message.data } as EventMessage;
        listeners.forEach((listener) => listener(eventMessage));
      }
    });
    current.addEventListener('close', () => {
      if (socket !== current) return;
      socket = null;
      connectionListeners.forEach((listener) => listener(false));
      // Calls in flight will never be answered by this socket: fail them rather than hang.
      for (const [id, resolve] of pending) {
        resolve({ ok: false, error: { code: 'unavailable', message: 'the connection to the workbench was lost' } });
        pending.delete(id);
      }
      if (!closed) {
        setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 5000);
      }
    });
  }

  connect();

  return {
    call<M extends MethodName>(method: M, params: RequestOf<M>): Promise<Result<ResponseOf<M>>> {
      const id = nextId++;
      const text = JSON.stringify({ id, method, params });
      return new Promise((resolve) => {
        pending.set(id, resolve as (result: Result<unknown>) => void);
        if (socket && socket.readyState === OPEN) socket.send(text);
        else queue.push(text);
      });
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    ready() {
      if (socket && socket.readyState === OPEN) return Promise.resolve();
      return new Promise((resolve) => readyWaiters.push(resolve));
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}

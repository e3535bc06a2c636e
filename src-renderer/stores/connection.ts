/**
 * The link to the host: which transport, whether it is up, and the one door every other store
 * goes through for calls and events (so tests swap in a fake client here and nowhere else).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ContractClient, EventMessage, MethodName, RequestOf, ResponseOf, Result } from '../../src-main/contract';
import type { Connection, TransportKind } from '../api';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('connecting');
  const transport = ref<TransportKind | null>(null);

  let client: ContractClient | null = null;
  let detachClient: Array<() => void> = [];
  const eventListeners = new Set<(message: EventMessage) => void>();
  const reconnectListeners = new Set<() => void>();

  /** Uses `connection` from now on; a bare ContractClient (tests, embedding) counts as connected. */
  function attach(connection: Connection | ContractClient): void {
    detachClient.forEach((undo) => undo());
    detachClient = [];
    const full: Connection = 'client' in connection ? connection : { client: connection, transport: 'websocket', ready: () => Promise.resolve() };
    client = full.client;
    transport.value = 'client' in connection ? full.transport : null;
    detachClient.push(client.on((message) => eventListeners.forEach((listener) => listener(message))));
    if (full.onConnectionChange) {
      state.value = 'connecting';
      detachClient.push(
        full.onConnectionChange((connected) => {
          const wasLost = state.value === 'reconnecting';
          state.value = connected ? 'connected' : 'reconnecting';
          if (connected && wasLost) reconnectListeners.forEach((listener) => listener());
        }),
      );
      const attached = client;
      void full.ready().then(() => {
        if (client === attached && state.value === 'connecting') state.value = 'connected';
      });
    } else {
      state.value = 'connected';
    }
  }

  /** Calls a contract method; a missing client or a transport that throws becomes an error value. */
  async function call<M extends MethodName>(method: M, params: RequestOf<M>): Promise<Result<ResponseOf<M>>> {
    if (!client) return { ok: false, error: { code: 'unavailable', message: 'not connected to the workbench' } };
    try {
      return await client.call(method, params);
    } catch (error) {
      return { ok: false, error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } };
    }
  }

  function onEvent(listener: (message: EventMessage) => void): () => void {
    eventListeners.add(listener);
    return () => eventListeners.delete(listener);
  }

  /** Runs after the link came back from a loss; events may have been missed meanwhile. */
  function onReconnect(listener: () => void): () => void {
    reconnectListeners.add(listener);
    return () => reconnectListeners.delete(listener);
  }

  return { state, transport, attach, call, onEvent, onReconnect };
});

/**
 * The contract without a wire: a ContractClient that calls a ContractHost in the same process
 * (the CLI, tests). It behaves like the WebSocket transport on purpose: params, results and events
 * are copied through JSON, so neither side can share or mutate the other's objects, and something
 * that would not survive the wire fails here too; events arrive asynchronously, as from a socket.
 */
import type { ContractClient, EventMessage, MethodName, RequestOf, ResponseOf, Result } from '../contract';
import type { ContractHost } from '../core/host';

export function createInProcessClient(host: ContractHost): ContractClient {
  return {
    async call<M extends MethodName>(method: M, params: RequestOf<M>): Promise<Result<ResponseOf<M>>> {
      let wireParams: unknown;
      try {
        wireParams = throughJson(params);
      } catch {
        return { ok: false, error: { code: 'invalid_request', message: 'params: cannot be sent (not JSON)' } };
      }
      let result: Result<unknown>;
      try {
        result = await host.request(method, wireParams);
      } catch {
        result = { ok: false, error: { code: 'internal', message: `${method} failed unexpectedly` } };
      }
      try {
        return throughJson(result) as Result<ResponseOf<M>>;
      } catch {
        return { ok: false, error: { code: 'internal', message: 'the result could not be serialised' } };
      }
    },
    on(listener: (message: EventMessage) => void): () => void {
      let active = true;
      const unsubscribe = host.onEvent((message) => {
        let copy: EventMessage;
        try {
          copy = throughJson(message) as EventMessage;
        } catch {
          return; // dropped, as the WebSocket transport drops an event it cannot serialise
        }
        // Later, not inside the host's emit loop: a throwing listener cannot break the host.
        queueMicrotask(() => {
          if (active) listener(copy);
        });
      });
      return () => {
        active = false;
        unsubscribe();
      };
    },
  };
}

/** What JSON.stringify + JSON.parse make of a value; `undefined` stays `undefined` (an absent field). */
function throughJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

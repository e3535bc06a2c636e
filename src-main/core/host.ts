/**
 * What a transport (Electron IPC, WebSocket, in-process) needs from Core: one door for requests,
 * which validates against the contract before anything runs, and one stream of events.
 */
import type { EventMessage, Result } from '../contract';

export interface ContractHost {
  /** Validates `method` and `params` against the contract, then runs the method. Never throws. */
  request(method: unknown, params: unknown): Promise<Result<unknown>>;
  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: (message: EventMessage) => void): () => void;
}

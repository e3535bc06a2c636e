/**
 * Picks the transport at start: the Electron preload bridge (`window.cvb`) when present, otherwise
 * the WebSocket of `cvb serve` on the page's own origin.
 */
import { WS_PATH, type ContractClient } from '../../src-main/contract';
import { createWebSocketClient, type SocketFactory } from './websocket-client';

declare global {
  interface Window {
    cvb?: ContractClient;
  }
}

export type TransportKind = 'electron' | 'websocket';

/** A contract client plus what the UI needs to show about the link to the host. */
export interface Connection {
  client: ContractClient;
  transport: TransportKind;
  /** Absent for the Electron bridge, which cannot drop while the window lives. */
  onConnectionChange?: (listener: (connected: boolean) => void) => () => void;
  /** Resolves when the link is up (at once for the Electron bridge). */
  ready(): Promise<void>;
}

/** The WebSocket URL of `cvb serve` for the page at `location`; the token comes from `?token=`. */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
}

export function openConnection(factory?: SocketFactory): Connection {
  const bridge = window.cvb;
  if (bridge) return { client: bridge, transport: 'electron', ready: () => Promise.resolve() };
  const socketClient = createWebSocketClient(webSocketUrl(window.location), factory);
  return {
    client: socketClient,
    transport: 'websocket',
    onConnectionChange: (listener) => socketClient.onConnectionChange(listener),
    ready: () => socketClient.ready(),
  };
}

export function connectContract(): ContractClient {
  return openConnection().client;
}

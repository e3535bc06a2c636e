/**
 * Connects a ContractClient to a ContractHost over each transport, for the contract suite and the
 * server tests: in-process, or a real `cvb serve` server on a free port with the renderer's own
 * WebSocket client (the `ws` package stands in for the browser's WebSocket).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { ContractClient } from '../../../src-main/contract';
import type { ContractHost } from '../../../src-main/core/host';
import { createInProcessClient } from '../../../src-main/serve/in-process';
import { startServer, WS_PATH, type RunningServer, type ServerOptions } from '../../../src-main/serve/server';
import { createWebSocketClient, type SocketFactory, type WebSocketClient } from '../../../src-renderer/api/websocket-client';

export const TRANSPORTS = ['in-process', 'websocket'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export const FAKE_INDEX_HTML = '<!doctype html><html><head><title>fake workbench</title></head><body></body></html>\n';
export const SECRET_TEXT = 'secret outside the renderer folder';

/**
 * A temporary folder holding `renderer/` (index.html, assets/app.js, assets/app.css) and, next to
 * it and outside it, `secret.txt`, which no request may ever read.
 */
export async function makeRendererDir(): Promise<{ root: string; rendererDir: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'cvb-serve-'));
  const rendererDir = path.join(root, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), FAKE_INDEX_HTML);
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app");\n');
  await writeFile(path.join(rendererDir, 'assets', 'app.css'), 'body { margin: 0; }\n');
  await writeFile(path.join(root, 'secret.txt'), SECRET_TEXT);
  return { root, rendererDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface Connection {
  client: ContractClient;
  close(): Promise<void>;
}

export interface WebSocketConnection extends Connection {
  client: WebSocketClient;
  server: RunningServer;
}

export async function connectInProcess(host: ContractHost): Promise<Connection> {
  return { client: createInProcessClient(host), close: async () => {} };
}

/** Builds `ws` sockets that present `origin`, as a browser on that page would. */
export function nodeSocketFactory(origin: string): SocketFactory {
  return (url) => new WebSocket(url, { headers: { Origin: origin } }) as unknown as ReturnType<SocketFactory>;
}

export async function connectWebSocket(
  host: ContractHost,
  options: Omit<ServerOptions, 'host' | 'rendererDir'> = {},
): Promise<WebSocketConnection> {
  const folder = await makeRendererDir();
  const server = await startServer({ ...options, host, rendererDir: folder.rendererDir });
  const origin = `http://127.0.0.1:${server.port}`;
  const url = `ws://127.0.0.1:${server.port}${WS_PATH}?token=${encodeURIComponent(server.token)}`;
  const client = createWebSocketClient(url, nodeSocketFactory(origin));
  await client.ready();
  return {
    client,
    server,
    async close() {
      client.close();
      await server.close();
      await folder.cleanup();
    },
  };
}

export function connect(transport: TransportName, host: ContractHost): Promise<Connection> {
  return transport === 'in-process' ? connectInProcess(host) : connectWebSocket(host);
}

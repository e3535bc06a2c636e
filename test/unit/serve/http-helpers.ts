/** Raw HTTP and WebSocket probes: paths are sent exactly as written, headers exactly as given. */
import { request, type IncomingHttpHeaders } from 'node:http';
import { WebSocket } from 'ws';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function httpGet(
  port: number,
  path: string,
  options: { headers?: Record<string, string>; method?: string; setHost?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, setHost: options.setHost ?? true },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The `name=value` pair of a Set-Cookie header, ready for a Cookie header. */
export function cookiePair(reply: Reply): string {
  const header = reply.headers['set-cookie']?.[0];
  if (!header) throw new Error(`no Set-Cookie in a ${reply.status} reply`);
  return header.split(';')[0];
}

export type UpgradeOutcome = { opened: true; socket: WebSocket } | { opened: false; status: number | null };

/** Tries a WebSocket upgrade; resolves with the open socket or the status it was refused with. */
export function tryWebSocket(url: string, headers: Record<string, string> = {}, options: { autoPong?: boolean } = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers, autoPong: options.autoPong ?? true });
    socket.once('open', () => resolve({ opened: true, socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ opened: false, status: response.statusCode ?? null });
      response.resume();
      socket.terminate();
    });
    // A refused upgrade may also surface as a reset before any status line.
    socket.on('error', () => resolve({ opened: false, status: null }));
  });
}

/** Resolves with the next JSON message on `socket`. */
export function nextMessage(socket: WebSocket): Promise<unknown> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
}

export function closed(socket: WebSocket): Promise<number> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

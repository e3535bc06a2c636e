/**
 * Browser mode (`cvb serve`): serves the built renderer and carries the contract over a WebSocket,
 * so a remote GPU machine can be driven from a browser. Secure by default:
 *
 * - binds 127.0.0.1 unless told otherwise; any other address is an explicit opt-in that comes
 *   back with a warning for the CLI to print (`exposureWarning`);
 * - every request needs the token (≥ 256 random bits): `?token=` on the page request, then an
 *   HttpOnly, SameSite=Strict cookie for the page's own assets and its WebSocket; none → 401,
 *   a wrong one → 403;
 * - a Host header that is not one of this server's names gets 403 (DNS rebinding), and a WebSocket
 *   upgrade must come from the server's own origin (cross-site WebSocket hijacking);
 * - no CORS headers, a strict CSP and the usual hardening headers on every response;
 * - static files only from inside `rendererDir`: no traversal, no dotfiles, no directory listings.
 *
 * Names the Host header may carry: 127.0.0.1, localhost, [::1] and the bound address. When bound to
 * a wildcard address (0.0.0.0 or ::) the machine's host name and interface addresses are accepted
 * too, so other machines can use `http://<host name or address>:PORT/?token=...`; the returned `url`
 * then shows 127.0.0.1, which works on the machine itself. A reverse proxy or an SSH tunnel to a
 * different local port needs its name in `allowedHosts` (e.g. `localhost:8000`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { WireRequestSchema, WS_PATH, errorFromZod, type ApiError, type Result, type WireMessage } from '../contract';
import type { ContractHost } from '../core/host';
import { silentLogger, type Logger } from '../core/log';
import { contentTypeFor } from './content-types';

export { WS_PATH };
/** The port `cvb serve` uses when none is given (startServer itself defaults to any free port). */
export const DEFAULT_PORT = 7860;
export const DEFAULT_BIND_HOST = '127.0.0.1';

export interface ServerLimits {
  /** Largest WebSocket message accepted; a bigger one closes that socket (code 1009). */
  maxPayloadBytes: number;
  /** A socket whose unsent data exceeds this is dropped; its client reconnects and reloads. */
  maxBufferedBytes: number;
  /** Sockets that do not answer a ping within this interval are dropped. */
  heartbeatMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  // 16 MiB: an image for infer.predict travels base64-encoded (up to INFER_LIMITS.imageBytes, 12 MiB,
  // is 16 MiB of text); the renderer downscales bigger pictures before sending them.
  maxPayloadBytes: 16 * 1024 * 1024 + 64 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  heartbeatMs: 30_000,
};

export interface ServerOptions {
  host: ContractHost;
  /** The built renderer (e.g. dist/renderer): index.html and its assets. */
  rendererDir: string;
  /** Address to listen on; default 127.0.0.1. Anything not loopback exposes the workbench. */
  bindHost?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default: 32 random bytes, base64url. */
  token?: string;
  /** Extra `name` or `name:port` values the Host header may carry (reverse proxy, SSH tunnel). */
  allowedHosts?: string[];
  limits?: Partial<ServerLimits>;
  /** Refused requests (wrong token, foreign Host or Origin) are logged here; never the token. */
  logger?: Logger;
}

export interface RunningServer {
  /** The address to open, token included. */
  url: string;
  token: string;
  port: number;
  /** Set when the bind address exposes the workbench beyond this machine; the CLI prints it. */
  warning: string | null;
  close(): Promise<void>;
}


// Safe in a URL and a cookie without escaping.
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,}$/;

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** Starts `cvb serve`'s HTTP + WebSocket server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { host } = options;
  const logger = options.logger ?? silentLogger;
  const bindHost = options.bindHost ?? DEFAULT_BIND_HOST;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const token = options.token ?? randomBytes(32).toString('base64url');
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error('the serve token must be at least 16 characters of A-Z, a-z, 0-9, "-", "_", "." or "~"');
  }
  const tokenDigest = digest(token);
  const rendererRoot = await resolveRendererDir(options.rendererDir);

  const sockets = new Set<WebSocket>();
  const alive = new WeakSet<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes });
  const server = createServer((request, response) => {
    handleHttp(request, response).catch(() => {
      if (!response.headersSent) sendText(response, 500, 'internal error', {});
      else response.destroy();
    });
  });

  // Known once listening (port 0 picks one); every check below reads these.
  let port = 0;
  let allowedHosts = new Set<string>();
  let cookieName = '';

  function hostOf(request: IncomingMessage): string | null {
    const parsed = parseHostPort(request.headers.host, 80);
    return parsed && allowedHosts.has(parsed) ? parsed : null;
  }

  /** 'ok', or the status to refuse with: 401 without a token, 403 with a wrong one. */
  function authorise(request: IncomingMessage, query: URLSearchParams): { status: 'ok'; fromQuery: boolean } | { status: 401 | 403 } {
    const fromQuery = query.get('token');
    const presented = fromQuery ?? readCookie(request.headers.cookie, cookieName);
    if (presented === null) return { status: 401 };
    if (!timingSafeEqual(digest(presented), tokenDigest)) return { status: 403 };
    return { status: 'ok', fromQuery: fromQuery !== null };
  }

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestHost = hostOf(request);
    if (!requestHost) {
      logger.warn({ host: request.headers.host, remote: request.socket.remoteAddress }, 'HTTP request refused: unknown Host header');
      return sendText(response, 403, 'Forbidden: this server does not answer to that host name.', {});
    }
    const headers = securityHeaders(requestHost);
    const target = splitTarget(request.url);
    if (!target) return sendText(response, 400, 'Bad request.', headers);
    const auth = authorise(request, target.query);
    if (auth.status !== 'ok') {
      logger.warn({ status: auth.status, path: target.pathname, remote: request.socket.remoteAddress }, 'HTTP request refused: no or wrong token');
      const text =
        auth.status === 401
          ? 'Unauthorised: open the address that `cvb serve` printed (it ends with ?token=...).'
          : 'Forbidden: the token is wrong (did `cvb serve` restart with a new one?).';
      return sendText(response, auth.status, text, headers);
    }
    if (auth.fromQuery) headers['Set-Cookie'] = `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendText(response, 405, 'Method not allowed.', { ...headers, Allow: 'GET, HEAD' });
    }
    if (target.pathname === WS_PATH) return sendText(response, 426, 'Upgrade required.', { ...headers, Upgrade: 'websocket' });

    const file = await resolveStaticFile(rendererRoot, target.pathname);
    if (!file) return sendText(response, 404, 'Not found.', headers);
    const extension = path.extname(file.path).toLowerCase();
    response.writeHead(200, {
      ...headers,
      'Content-Type': contentTypeFor(file.path),
      'Content-Length': file.size,
      'Cache-Control': extension === '.html' ? 'no-store' : 'no-cache',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    const stream = createReadStream(file.path);
    stream.on('error', () => response.destroy());
    stream.pipe(response);
  }

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const requestHost = hostOf(request);
    if (!requestHost) return refuseUpgrade(socket, 403);
    const target = splitTarget(request.url);
    if (!target || target.pathname !== WS_PATH) return refuseUpgrade(socket, 404);
    // Browsers always send Origin on a WebSocket; it must be the page this server served.
    if (!isOwnOrigin(request.headers.origin, requestHost)) {
      logger.warn({ origin: request.headers.origin, remote: request.socket.remoteAddress }, 'WebSocket refused: foreign Origin');
      return refuseUpgrade(socket, 403);
    }
    const auth = authorise(request, target.query);
    if (auth.status !== 'ok') {
      logger.warn({ status: auth.status, remote: request.socket.remoteAddress }, 'WebSocket refused: no or wrong token');
      return refuseUpgrade(socket, auth.status);
    }
    wss.handleUpgrade(request, socket, head, (ws) => attach(ws));
  }

  function attach(ws: WebSocket): void {
    sockets.add(ws);
    alive.add(ws);
    const send = (message: WireMessage): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      // A client that stopped reading would make us buffer without bound: drop it instead.
      if (ws.bufferedAmount > limits.maxBufferedBytes) {
        ws.terminate();
        return;
      }
      const text = serialise(message);
      if (text !== null) ws.send(text);
    };
    const unsubscribe = host.onEvent((message) => send({ type: 'event', event: message.event, data: message.data }));
    ws.on('pong', () => alive.add(ws));
    ws.on('message', (data, isBinary) => {
      void answer(data, isBinary).then(send);
    });
    // ws reports protocol errors (too large, invalid UTF-8) here and closes the socket itself.
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      unsubscribe();
      sockets.delete(ws);
    });
  }

  async function answer(data: RawData, isBinary: boolean): Promise<WireMessage> {
    if (isBinary) return errorResult(UNATTRIBUTED, { code: 'invalid_request', message: 'messages must be JSON text' });
    let payload: unknown;
    try {
      payload = JSON.parse(rawText(data));
    } catch {
      return errorResult(UNATTRIBUTED, { code: 'invalid_request', message: 'the message is not valid JSON' });
    }
    const wire = WireRequestSchema.safeParse(payload);
    if (!wire.success) return errorResult(idOf(payload), errorFromZod(wire.error, payload));
    try {
      return { type: 'result', id: wire.data.id, result: await host.request(wire.data.method, wire.data.params) };
    } catch {
      // The host promises never to throw; if it does, the client still gets an answer.
      return errorResult(wire.data.id, { code: 'internal', message: `${wire.data.method} failed unexpectedly` });
    }
  }

  server.on('upgrade', handleUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost.replace(/^\[(.*)\]$/, '$1'), () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  logger.info({ bindHost, port, exposed: !isLoopback(bindHost) }, 'browser mode listening');
  allowedHosts = allowedHostSet(bindHost, port, options.allowedHosts ?? []);
  // Cookies are not scoped by port: one name per port keeps two servers on one machine apart.
  cookieName = `cvb_token_${port}`;

  const heartbeat = setInterval(() => {
    for (const ws of sockets) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, limits.heartbeatMs);
  heartbeat.unref();

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost(bindHost)}:${port}/?token=${encodeURIComponent(token)}`,
    token,
    port,
    warning: exposureWarning(bindHost, port),
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        for (const ws of sockets) ws.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        server.closeAllConnections();
        await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      })();
      return closing;
    },
  };
}

/**
 * The warning to print (after a "WARNING: " prefix) when `bindHost` is not a loopback address,
 * or null when it is.
 * Binding 0.0.0.0 (or a LAN address) is an explicit opt-in: the token is then the only lock, and
 * plain HTTP carries it unencrypted.
 */
export function exposureWarning(bindHost: string, port: number = DEFAULT_PORT): string | null {
  if (isLoopback(bindHost)) return null;
  const reach = isWildcard(bindHost) ? 'every network interface of this machine' : bindHost;
  return [
    `the workbench is listening on ${reach} (port ${port}), not only on this machine.`,
    'Anyone who can reach that port can try to use it: the token is the only protection, and plain HTTP',
    'sends the token and your data unencrypted. Use this only on a network you trust. Safer: keep the',
    `default 127.0.0.1 and open an SSH tunnel from your computer: ssh -N -L ${port}:127.0.0.1:${port} <user>@<this machine>`,
  ].join('\n');
}

/** Ids are never negative, so this marks an answer to a message that had no usable id. */
const UNATTRIBUTED = -1;

function errorResult(id: number, error: ApiError): WireMessage {
  return { type: 'result', id, result: { ok: false, error } satisfies Result<never> };
}

function idOf(payload: unknown): number {
  const id = payload !== null && typeof payload === 'object' ? (payload as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : UNATTRIBUTED;
}

function serialise(message: WireMessage): string | null {
  try {
    return JSON.stringify(message);
  } catch {
    // An event that cannot be serialised is dropped; a result still answers its id.
    if (message.type !== 'result') return null;
    return JSON.stringify(errorResult(message.id, { code: 'internal', message: 'the result could not be serialised' }));
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function digest(value: string): Buffer {
  // Equal lengths for timingSafeEqual, whatever was presented.
  return createHash('sha256').update(value, 'utf8').digest();
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return null;
}

/** `requestHost` is the vetted Host (`name:port`); null before it has been vetted. */
function securityHeaders(requestHost: string | null): OutgoingHttpHeaders {
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      requestHost ? `connect-src 'self' ws://${requestHost}` : "connect-src 'self'",
      "img-src 'self' data: blob:",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function sendText(response: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders): void {
  const body = `${text}\n`;
  response.writeHead(status, {
    // Even a refusal before the Host was vetted carries the hardening headers.
    ...securityHeaders(null),
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(body);
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404): void {
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
        'Connection: close\r\nContent-Length: 0\r\nCache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n\r\n',
    );
  }
  socket.destroy();
}

/** Splits an origin-form request target; null for anything else (absolute-form, `*`). */
function splitTarget(url: string | undefined): { pathname: string; query: URLSearchParams } | null {
  if (!url || !url.startsWith('/')) return null;
  const index = url.indexOf('?');
  const pathname = index < 0 ? url : url.slice(0, index);
  return { pathname, query: new URLSearchParams(index < 0 ? '' : url.slice(index + 1)) };
}

/**
 * The file a URL path names inside `root`, or null. Each segment is decoded on its own, so an
 * encoded `/` or `\` can never join two segments, and `.`, `..`, dotfiles, `:` (Windows drives and
 * streams) and NUL are refused outright; the real path must still lie inside the real root.
 */
async function resolveStaticFile(root: string, pathname: string): Promise<{ path: string; size: number } | null> {
  const segments: string[] = [];
  for (const raw of pathname.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment.startsWith('.') || /[/\\:\0]/.test(segment)) return null;
    segments.push(segment);
  }
  if (segments.length === 0) segments.push('index.html');
  const candidate = path.join(root, ...segments);
  if (!isInside(root, candidate)) return null;
  try {
    const real = await fs.realpath(candidate);
    if (!isInside(root, real)) return null;
    const stat = await fs.stat(real);
    return stat.isFile() ? { path: real, size: stat.size } : null;
  } catch {
    return null;
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

async function resolveRendererDir(rendererDir: string): Promise<string> {
  try {
    const root = await fs.realpath(rendererDir);
    await fs.access(path.join(root, 'index.html'));
    return root;
  } catch {
    throw new Error(`the renderer is not built: no index.html in ${rendererDir} (run npm run build)`);
  }
}

/** `name:port` in lower case, IPv6 in brackets; null when the header is absent or malformed. */
function parseHostPort(value: string | undefined, defaultPort: number): string | null {
  if (!value) return null;
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match) return null;
  return `${match[1].toLowerCase()}:${match[2] ? Number(match[2]) : defaultPort}`;
}

function isOwnOrigin(origin: string | undefined, requestHost: string): boolean {
  const match = origin ? /^(https?):\/\/(.+)$/i.exec(origin) : null;
  if (!match) return false;
  return parseHostPort(match[2], match[1].toLowerCase() === 'https' ? 443 : 80) === requestHost;
}

function allowedHostSet(bindHost: string, port: number, extra: string[]): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  if (isWildcard(bindHost)) {
    names.add(os.hostname().toLowerCase());
    for (const addresses of Object.values(os.networkInterfaces())) {
      for (const { address } of addresses ?? []) names.add(bracketIpv6(address).toLowerCase());
    }
  } else {
    names.add(bracketIpv6(bindHost).toLowerCase());
  }
  const allowed = new Set([...names].map((name) => `${name}:${port}`));
  for (const entry of extra) {
    const parsed = parseHostPort(entry, port);
    if (parsed) allowed.add(parsed);
  }
  return allowed;
}

function bracketIpv6(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

function isWildcard(bindHost: string): boolean {
  return bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '[::]' || bindHost === '';
}

function isLoopback(bindHost: string): boolean {
  const name = bindHost.toLowerCase().replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

function urlHost(bindHost: string): string {
  return isWildcard(bindHost) ? '127.0.0.1' : bracketIpv6(bindHost);
}

import { symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureWarning, startServer, WS_PATH, type RunningServer } from '../../../src-main/serve/server';
import { createFakeHost } from './fake-host';
import { cookiePair, httpGet, tryWebSocket, type Reply } from './http-helpers';
import { FAKE_INDEX_HTML, makeRendererDir, SECRET_TEXT } from './transports';

let folder: Awaited<ReturnType<typeof makeRendererDir>>;
let server: RunningServer;
let port: number;
let cookie: string;
const replies: Reply[] = [];

async function get(pathname: string, headers: Record<string, string> = {}, method?: string): Promise<Reply> {
  const reply = await httpGet(port, pathname, { headers, method });
  replies.push(reply);
  return reply;
}

beforeAll(async () => {
  folder = await makeRendererDir();
  await writeFile(path.join(folder.rendererDir, '.env'), SECRET_TEXT);
  await symlink(path.join(folder.root, 'secret.txt'), path.join(folder.rendererDir, 'assets', 'linked.txt'));
  server = await startServer({ host: createFakeHost(), rendererDir: folder.rendererDir });
  port = server.port;
  cookie = cookiePair(await get(`/?token=${server.token}`));
});

afterAll(async () => {
  await server?.close();
  await folder?.cleanup();
});

describe('the token', () => {
  it('is random, at least 128 bits, and in the printed url', async () => {
    expect(Buffer.from(server.token, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${server.token}`);
    const other = await startServer({ host: createFakeHost(), rendererDir: folder.rendererDir });
    expect(other.token).not.toBe(server.token);
    await other.close();
  });

  it('answers 401 without a token and 403 with a wrong one, showing nothing of the page', async () => {
    const missing = await get('/');
    expect(missing.status).toBe(401);
    expect(missing.body).not.toContain('fake workbench');
    expect(missing.headers['set-cookie']).toBeUndefined();
    const wrong = await get('/?token=not-the-token-at-all-0000');
    expect(wrong.status).toBe(403);
    expect(wrong.body).not.toContain('fake workbench');
    expect((await get('/?token=')).status).toBe(403);
    expect((await get(`/?token=${server.token}x`)).status).toBe(403);
  });

  it('serves the page for the right token and sets an HttpOnly, SameSite=Strict cookie', async () => {
    const reply = await get(`/?token=${server.token}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(FAKE_INDEX_HTML);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    const setCookie = reply.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toContain(`=${server.token}`);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(/;\s*Path=\//);
  });

  it('lets the cookie authorise the page and its assets, with the right content types', async () => {
    const page = await get('/index.html', { Cookie: cookie });
    expect(page.status).toBe(200);
    const script = await get('/assets/app.js', { Cookie: cookie });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const style = await get('/assets/app.css', { Cookie: `other=1; ${cookie}` });
    expect(style.status).toBe(200);
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await get('/assets/app.js', { Cookie: cookie }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('refuses a wrong cookie (403) and a cookie of another name or port (401)', async () => {
    const [name] = cookie.split('=');
    expect((await get('/assets/app.js', { Cookie: `${name}=wrong-token-value-000000` })).status).toBe(403);
    expect((await get('/assets/app.js', { Cookie: `cvb_token_1=${server.token}` })).status).toBe(401);
  });

  it('accepts a token given as an option and refuses one too short to be safe', async () => {
    const token = 'a'.repeat(32);
    const chosen = await startServer({ host: createFakeHost(), rendererDir: folder.rendererDir, token });
    expect(chosen.token).toBe(token);
    expect((await httpGet(chosen.port, `/?token=${token}`)).status).toBe(200);
    await chosen.close();
    await expect(startServer({ host: createFakeHost(), rendererDir: folder.rendererDir, token: 'short' })).rejects.toThrow(/token/);
    await expect(startServer({ host: createFakeHost(), rendererDir: folder.rendererDir, token: 'has;semicolon;and=more' })).rejects.toThrow(/token/);
  });
});

describe('the Host header (DNS rebinding)', () => {
  const foreignHosts: Array<[string, () => string]> = [
    ['a foreign name on the right port', () => `evil.example:${port}`],
    ['a foreign name without a port', () => 'evil.example'],
    ['a name that merely starts with localhost', () => `localhost.evil.example:${port}`],
    ['the right name on another port', () => 'localhost:1'],
    ['the right address without a port', () => '127.0.0.1'],
    ['another loopback address', () => `127.0.0.2:${port}`],
    ['garbage', () => 'a b@c'],
  ];

  it.each(foreignHosts)('refuses %s with 403 even with the token', async (_what, hostHeader) => {
    const reply = await get(`/?token=${server.token}`, { Host: hostHeader() });
    expect(reply.status).toBe(403);
    expect(reply.body).not.toContain('fake workbench');
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a request without a Host header', async () => {
    const reply = await httpGet(port, `/?token=${server.token}`, { setHost: false });
    expect([400, 403]).toContain(reply.status);
  });

  it.each(['127.0.0.1', 'localhost', 'LOCALHOST', '[::1]'])('accepts Host %s with the right port', async (hostName) => {
    expect((await get(`/?token=${server.token}`, { Host: `${hostName}:${port}` })).status).toBe(200);
  });

  it('accepts extra names given in allowedHosts (a tunnel to another local port)', async () => {
    const tunnelled = await startServer({ host: createFakeHost(), rendererDir: folder.rendererDir, allowedHosts: ['localhost:8000'] });
    expect((await httpGet(tunnelled.port, `/?token=${tunnelled.token}`, { headers: { Host: 'localhost:8000' } })).status).toBe(200);
    expect((await httpGet(tunnelled.port, `/?token=${tunnelled.token}`, { headers: { Host: 'localhost:8001' } })).status).toBe(403);
    await tunnelled.close();
  });
});

describe('static files', () => {
  it('answers 404 for missing files, folders and dotfiles', async () => {
    for (const pathname of ['/missing.js', '/assets', '/assets/', '/assets/missing.css', '/.env', '/%2eenv']) {
      const reply = await get(pathname, { Cookie: cookie });
      expect(reply.status, pathname).toBe(404);
      expect(reply.body).not.toContain(SECRET_TEXT);
    }
  });

  const attempts = [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/.%2e/secret.txt',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%5csecret.txt',
    '/%2e%2e%5csecret.txt',
    '/..\\secret.txt',
    '//../secret.txt',
    '/%252e%252e/secret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    '/%00/../secret.txt',
    '/index.html%00.js',
    '/assets/linked.txt',
    '/%2f..%2fsecret.txt',
  ];

  it.each(attempts)('never serves a file outside the renderer folder for %s', async (pathname) => {
    const reply = await get(pathname, { Cookie: cookie });
    expect([400, 403, 404]).toContain(reply.status);
    expect(reply.body).not.toContain(SECRET_TEXT);
  });

  it('never serves a file named by its absolute path', async () => {
    const secretFile = path.join(folder.root, 'secret.txt');
    for (const pathname of [secretFile, `/${encodeURIComponent(secretFile)}`, `/${encodeURIComponent(secretFile).replace(/%2F/g, '/')}`]) {
      const reply = await get(pathname, { Cookie: cookie });
      expect(reply.status, pathname).toBe(404);
      expect(reply.body).not.toContain(SECRET_TEXT);
    }
  });

  it('refuses an absolute-form request target', async () => {
    const reply = await get(`http://127.0.0.1:${port}/index.html`, { Cookie: cookie });
    expect(reply.status).toBe(400);
  });

  it('answers only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const reply = await get('/index.html', { Cookie: cookie, Origin: 'http://evil.example' }, method);
      expect(reply.status, method).toBe(405);
    }
  });

  it('refuses to start without a built renderer', async () => {
    await expect(startServer({ host: createFakeHost(), rendererDir: path.join(folder.root, 'nope') })).rejects.toThrow(/not built/);
  });
});

describe('headers on every response', () => {
  it('carries the security headers and a strict CSP, and never a CORS header', async () => {
    await get('/index.html', { Cookie: cookie, Origin: 'http://evil.example' });
    await get('/missing', { Cookie: cookie, Origin: 'http://evil.example' });
    await get('/', { Host: 'evil.example' });
    await get(WS_PATH, { Cookie: cookie });
    expect(replies.length).toBeGreaterThan(20);
    const statuses = new Set(replies.map((reply) => reply.status));
    for (const status of [200, 401, 403, 404, 405, 426]) expect(statuses).toContain(status);
    for (const reply of replies) {
      const csp = String(reply.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("img-src 'self' data: blob:");
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['referrer-policy']).toBe('no-referrer');
      expect(reply.headers['x-frame-options']).toBe('DENY');
      expect(Object.keys(reply.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });

  it("lets the page connect to its own WebSocket and nowhere else", async () => {
    const reply = await get('/', { Cookie: cookie });
    expect(String(reply.headers['content-security-policy'])).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);
  });
});

describe('the WebSocket upgrade', () => {
  const wsUrl = (query = `?token=${encodeURIComponent(server.token)}`) => `ws://127.0.0.1:${port}${WS_PATH}${query}`;
  const ownOrigin = () => `http://127.0.0.1:${port}`;

  it('opens with the token and the server’s own origin', async () => {
    const outcome = await tryWebSocket(wsUrl(), { Origin: ownOrigin() });
    expect(outcome.opened).toBe(true);
    if (outcome.opened) outcome.socket.close();
  });

  it('opens with the cookie alone, as the page’s own socket would', async () => {
    const outcome = await tryWebSocket(wsUrl(''), { Origin: ownOrigin(), Cookie: cookie });
    expect(outcome.opened).toBe(true);
    if (outcome.opened) outcome.socket.close();
  });

  it('opens from localhost when the page was loaded from localhost', async () => {
    const outcome = await tryWebSocket(wsUrl(), { Origin: `http://localhost:${port}`, Host: `localhost:${port}` });
    expect(outcome.opened).toBe(true);
    if (outcome.opened) outcome.socket.close();
  });

  it.each([
    ['a foreign origin', () => 'http://evil.example'],
    ['a foreign origin on the same port', () => `http://evil.example:${port}`],
    ['another port on this machine', () => 'http://127.0.0.1:1'],
    ['another loopback name than the Host', () => `http://localhost:${port}`],
    ['a sandboxed page', () => 'null'],
    ['a file page', () => 'file://'],
  ])('refuses %s with 403, even with the token', async (_what, origin) => {
    expect(await tryWebSocket(wsUrl(), { Origin: origin() })).toEqual({ opened: false, status: 403 });
  });

  it('refuses an upgrade without an Origin', async () => {
    expect(await tryWebSocket(wsUrl(), {})).toEqual({ opened: false, status: 403 });
  });

  it('refuses an upgrade without a token (401) or with a wrong one (403)', async () => {
    expect(await tryWebSocket(wsUrl(''), { Origin: ownOrigin() })).toEqual({ opened: false, status: 401 });
    expect(await tryWebSocket(wsUrl('?token=wrong-token-value-000000'), { Origin: ownOrigin() })).toEqual({ opened: false, status: 403 });
  });

  it('refuses a foreign Host even when the Origin matches it', async () => {
    const outcome = await tryWebSocket(wsUrl(), { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` });
    expect(outcome).toEqual({ opened: false, status: 403 });
  });

  it('refuses upgrades on other paths', async () => {
    const outcome = await tryWebSocket(`ws://127.0.0.1:${port}/api/other?token=${server.token}`, { Origin: ownOrigin() });
    expect(outcome).toEqual({ opened: false, status: 404 });
  });
});

describe('binding beyond this machine', () => {
  it.each(['127.0.0.1', 'localhost', '::1', '127.0.0.5'])('gives no warning for the loopback address %s', (bindHost) => {
    expect(exposureWarning(bindHost)).toBeNull();
  });

  it.each(['0.0.0.0', '::', '192.168.1.20'])('warns for %s, naming the risk and the safer SSH tunnel', (bindHost) => {
    const warning = exposureWarning(bindHost, 7860) ?? '';
    expect(warning).toMatch(/^the workbench is listening on /);
    expect(warning).toContain('port 7860');
    expect(warning).toContain('token is the only protection');
    expect(warning).toContain('unencrypted');
    expect(warning).toContain('ssh -N -L 7860:127.0.0.1:7860');
  });

  it('returns no warning from a default server', () => {
    expect(server.warning).toBeNull();
  });

  it('returns the warning and a working local url when bound to 0.0.0.0', async () => {
    const exposed = await startServer({ host: createFakeHost(), rendererDir: folder.rendererDir, bindHost: '0.0.0.0' });
    try {
      expect(exposed.warning).toContain('every network interface');
      expect(exposed.url).toBe(`http://127.0.0.1:${exposed.port}/?token=${exposed.token}`);
      expect((await httpGet(exposed.port, `/?token=${exposed.token}`)).status).toBe(200);
      const byName = await httpGet(exposed.port, `/?token=${exposed.token}`, { headers: { Host: `${os.hostname()}:${exposed.port}` } });
      expect(byName.status).toBe(200);
      const rebound = await httpGet(exposed.port, `/?token=${exposed.token}`, { headers: { Host: `evil.example:${exposed.port}` } });
      expect(rebound.status).toBe(403);
    } finally {
      await exposed.close();
    }
  });
});

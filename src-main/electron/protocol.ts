/**
 * Serves the renderer build from `app://workbench/` instead of file://. A standard, secure scheme
 * gives the page a real origin ('self' in the CSP means the app and nothing else), lets Vite's
 * absolute or relative asset URLs both resolve, keeps the rest of the disk out of reach of the
 * page (a file:// page may load any file:// URL), and carries the CSP as a response header: the
 * webRequest header hooks never fire for custom schemes.
 */
import fs from 'node:fs';
import { protocol, type Session } from 'electron';
import { addSecurityHeaders, APP_SCHEME, contentTypeFor, resolveAppAsset, type HeaderMap } from './policy';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/** Fetch-style headers: the security headers plus `extra`. */
function responseHeaders(extra: Record<string, string>): Headers {
  let secured: HeaderMap = {};
  addSecurityHeaders(extra, (response) => {
    secured = response.responseHeaders;
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(secured)) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  return headers;
}

function notFound(status: number, text: string): Response {
  return new Response(text, { status, headers: responseHeaders({ 'Content-Type': 'text/plain; charset=utf-8' }) });
}

/** Answers `app://workbench/<path>` with files of `rendererDir` only; everything else is a 404. */
export function handleAppScheme(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return notFound(405, 'method not allowed');
    const file = resolveAppAsset(rendererDir, request.url);
    if (file === null) return notFound(404, 'not found');
    try {
      const body = await fs.promises.readFile(file);
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: responseHeaders({ 'Content-Type': contentTypeFor(file), 'Cache-Control': 'no-cache' }),
      });
    } catch {
      return notFound(404, 'not found');
    }
  });
}

/**
 * Serves the renderer build from `app://workbench/` instead of file://. A standard, secure scheme
 * gives the page a real origin ('self' in the CSP means the app and nothing else), lets Vite's
 * absolute or relative asset URLs both resolve, keeps the rest of the disk out of reach of the
 * page (a file:// page may load any file:// URL), and carries the CSP as a response header: the
 * webRequest header hooks never fire for custom schemes.
 */
import fs from 'node:fs';
import { protocol, type Session } from 'electron';
import { APP_SCHEME, CONTENT_SECURITY_POLICY, contentTypeFor, resolveAppAsset } from './policy';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

const securityHeaders = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function notFound(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' } });
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
        headers: { ...securityHeaders, 'Content-Type': contentTypeFor(file), 'Cache-Control': 'no-cache' },
      });
    } catch {
      return notFound(404, 'not found');
    }
  });
}

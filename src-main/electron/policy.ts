/**
 * The Electron shell's security decisions as pure functions, so they are tested without Electron:
 * which frame may call the contract, where the window may navigate, which links leave the app,
 * which files the `app://` scheme serves, and the page's Content-Security-Policy.
 */
import path from 'node:path';

/** The renderer is served from its own standard, secure scheme rather than file:// (see protocol.ts). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'workbench';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Response headers by name, as session.webRequest hands them over (one or more values each). */
export type HeaderMap = Record<string, string | string[]>;

/**
 * Adds the page's security headers to `responseHeaders` and passes the result to `callback`, in
 * the shape session.webRequest.onHeadersReceived expects; the app:// handler uses it too.
 *
 * The Content-Security-Policy: everything the renderer needs comes from the app's own origin and
 * the contract travels over IPC, so the page has no network access at all. Images may be data: or
 * blob: URLs (dropped files, Grad-CAM overlays). It is one literal so that the security scan
 * (scripts/electronegativity.mjs) can read and evaluate it.
 */
export function addSecurityHeaders(responseHeaders: HeaderMap | undefined, callback: (response: { responseHeaders: HeaderMap }) => void): void {
  callback({
    responseHeaders: {
      ...responseHeaders,
      'Content-Security-Policy': [
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      ],
      'X-Content-Type-Options': ['nosniff'],
      'Cross-Origin-Opener-Policy': ['same-origin'],
      'Cross-Origin-Resource-Policy': ['same-origin'],
    },
  });
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True for a page of the app's own origin. Only the renderer build is served there (protocol.ts),
 * so the origin identifies the app; any path is accepted so that a history-mode route survives a reload.
 */
export function isAppPageUrl(url: string): boolean {
  return isAppOrigin(parseUrl(url));
}

// Node's URL gives custom schemes an opaque origin ('null'), so compare scheme and host instead.
function isAppOrigin(parsed: URL | null): parsed is URL {
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && !parsed.username && !parsed.password;
}

/** The parts of Electron's WebFrameMain the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly processId: number;
  readonly routingId: number;
  readonly detached?: boolean;
}

function sameFrame(a: FrameLike, b: FrameLike): boolean {
  return a === b || (a.processId === b.processId && a.routingId === b.routingId);
}

/**
 * Decides whether an IPC call comes from the app's own page in the main window's main frame.
 * Returns null when the sender is trusted, otherwise the reason (for the error value and the log).
 * Iframes, other windows and pages the window was navigated to are all refused.
 */
export function senderRejection(senderFrame: FrameLike | null | undefined, mainFrame: FrameLike | null | undefined): string | null {
  if (!senderFrame) return 'the calling frame is gone';
  if (!mainFrame || !sameFrame(senderFrame, mainFrame)) return 'calls are accepted only from the main window';
  if (senderFrame.detached) return 'the calling frame is gone';
  if (!isAppPageUrl(senderFrame.url)) return `calls are accepted only from the app's own page, not ${JSON.stringify(senderFrame.url)}`;
  return null;
}

/** In-window navigation is allowed only back to the app's own page (a reload or a hash route). */
export function isAllowedNavigation(url: string): boolean {
  return isAppPageUrl(url);
}

/** The https URL to hand to the system browser, or null: every other scheme stays closed. */
export function externalUrlToOpen(url: string): string | null {
  const parsed = parseUrl(url);
  if (parsed === null || parsed.protocol !== 'https:' || parsed.username || parsed.password) return null;
  return parsed.toString();
}

/**
 * Permissions the page may get: only writing to the clipboard (copying a run id or a config), and
 * only from the app's own page. Camera, microphone, geolocation, notifications, ... are refused.
 */
export function isPermissionAllowed(permission: string, requestingUrl: string): boolean {
  return permission === 'clipboard-sanitized-write' && isAppPageUrl(requestingUrl);
}

/**
 * Maps an `app://workbench/...` request to a file inside `rootDir`, or null when the URL is not
 * ours or tries to leave the folder (`..`, encoded separators, absolute paths). A path without an
 * extension is a client-side route and gets index.html.
 */
export function resolveAppAsset(rootDir: string, requestUrl: string): string | null {
  const parsed = parseUrl(requestUrl);
  if (!isAppOrigin(parsed)) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  const relative = path.posix.extname(pathname) === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const target = path.resolve(root, relative);
  const inside = path.relative(root, target);
  if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) return null;
  return target;
}

export { contentTypeFor } from '../serve/content-types';

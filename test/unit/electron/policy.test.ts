import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addSecurityHeaders,
  APP_ENTRY_URL,
  contentTypeFor,
  externalUrlToOpen,
  isAllowedNavigation,
  isAppPageUrl,
  isPermissionAllowed,
  resolveAppAsset,
  senderRejection,
  type FrameLike,
} from '../../../src-main/electron/policy';

function frame(url: string, processId = 4, routingId = 1, detached = false): FrameLike {
  return { url, processId, routingId, detached };
}

describe('senderRejection', () => {
  const mainFrame = frame(APP_ENTRY_URL);

  it('accepts the main frame of the main window on the app page', () => {
    expect(senderRejection(mainFrame, mainFrame)).toBeNull();
  });

  it('accepts the same frame seen through another WebFrameMain object, with a hash route', () => {
    const sameFrameNewObject = frame(`${APP_ENTRY_URL}#/runs/abc`);
    expect(senderRejection(sameFrameNewObject, frame(APP_ENTRY_URL))).toBeNull();
  });

  it('refuses a missing or detached sender frame', () => {
    expect(senderRejection(null, mainFrame)).toMatch(/gone/);
    expect(senderRejection(undefined, mainFrame)).toMatch(/gone/);
    expect(senderRejection(frame(APP_ENTRY_URL, 4, 1, true), mainFrame)).toMatch(/gone/);
  });

  it('refuses a subframe or another window, even on the app origin', () => {
    expect(senderRejection(frame(APP_ENTRY_URL, 4, 2), mainFrame)).toMatch(/main window/);
    expect(senderRejection(frame(APP_ENTRY_URL, 9, 1), mainFrame)).toMatch(/main window/);
    expect(senderRejection(mainFrame, null)).toMatch(/main window/);
  });

  it('refuses the main frame once it shows another page', () => {
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'app://evil/index.html', 'app://workbench:81/index.html', 'about:blank', 'not a url']) {
      const navigated = frame(url);
      expect(senderRejection(navigated, navigated), url).toMatch(/app's own page/);
    }
  });
});

describe('navigation and external links', () => {
  it('allows only the app origin in the window', () => {
    expect(isAllowedNavigation(APP_ENTRY_URL)).toBe(true);
    expect(isAllowedNavigation('app://workbench/')).toBe(true);
    expect(isAllowedNavigation('https://workbench/index.html')).toBe(false);
    expect(isAllowedNavigation('file:///tmp/cat.png')).toBe(false);
    expect(isAllowedNavigation('app://user:pw@workbench/index.html')).toBe(false);
    expect(isAppPageUrl('javascript:alert(1)')).toBe(false);
  });

  it('opens only https URLs in the system browser', () => {
    expect(externalUrlToOpen('https://arxiv.org/abs/1512.03385')).toBe('https://arxiv.org/abs/1512.03385');
    for (const url of ['http://arxiv.org/', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'https://user:pw@example.com/', 'garbage']) {
      expect(externalUrlToOpen(url), url).toBeNull();
    }
  });

  it('grants no permission except clipboard writes from the app page', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', APP_ENTRY_URL)).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'https://example.com/')).toBe(false);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) {
      expect(isPermissionAllowed(permission, APP_ENTRY_URL), permission).toBe(false);
    }
  });
});

describe('resolveAppAsset', () => {
  const root = path.resolve('/srv/renderer');

  it('maps app URLs to files inside the renderer folder', () => {
    expect(resolveAppAsset(root, APP_ENTRY_URL)).toBe(path.join(root, 'index.html'));
    expect(resolveAppAsset(root, 'app://workbench/assets/index-abc.js?v=1')).toBe(path.join(root, 'assets', 'index-abc.js'));
    expect(resolveAppAsset(root, 'app://workbench/assets/my%20icon.svg')).toBe(path.join(root, 'assets', 'my icon.svg'));
  });

  it('serves index.html for client-side routes', () => {
    expect(resolveAppAsset(root, 'app://workbench/')).toBe(path.join(root, 'index.html'));
    expect(resolveAppAsset(root, 'app://workbench/runs/compare')).toBe(path.join(root, 'index.html'));
  });

  it('refuses other origins and any way out of the folder', () => {
    const refused = [
      'app://other/index.html',
      'https://workbench/index.html',
      'app://workbench/..%2F..%2Fetc%2Fpasswd.txt',
      'app://workbench/%2e%2e/%2e%2e/etc/hosts.txt',
      'app://workbench/assets/..%5C..%5Csecret.txt',
      'app://workbench/a%00.js',
      'app://workbench/%E0%A4%A.js',
      'app://workbench/%2Fetc%2Fpasswd.txt',
    ];
    for (const url of refused) {
      const resolved = resolveAppAsset(root, url);
      expect(resolved === null || resolved.startsWith(root + path.sep), url).toBe(true);
    }
    expect(resolveAppAsset(root, 'app://workbench/..%2F..%2Fetc%2Fpasswd.txt')).toBeNull();
    expect(resolveAppAsset(root, 'app://workbench/a%00.js')).toBeNull();
  });

  it('labels content types', () => {
    expect(contentTypeFor('/x/index.html')).toMatch(/^text\/html/);
    expect(contentTypeFor('/x/a.JS')).toMatch(/^text\/javascript/);
    expect(contentTypeFor('/x/b.wasm')).toBe('application/wasm');
    expect(contentTypeFor('/x/unknown.bin')).toBe('application/octet-stream');
  });
});

describe('addSecurityHeaders', () => {
  let headers: Record<string, string | string[]> = {};
  addSecurityHeaders({ 'Content-Type': ['text/html'] }, (response) => {
    headers = response.responseHeaders;
  });
  const policy = String(headers['Content-Security-Policy']);
  const directives = new Map(
    policy.split(';').map((part) => {
      const [name, ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

  it('keeps the response headers and adds nosniff', () => {
    expect(headers['Content-Type']).toEqual(['text/html']);
    expect(headers['X-Content-Type-Options']).toEqual(['nosniff']);
  });

  it('denies by default and allows scripts from the app only', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('has no unsafe source and no remote host', () => {
    expect(policy).not.toMatch(/unsafe-|\*|https?:/);
  });
});

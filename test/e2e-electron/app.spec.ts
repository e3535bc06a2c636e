/**
 * The desktop app end to end: launches Electron on the built app with a temporary data folder and
 * checks the window, the isolation of the page, the contract over the preload bridge, and the
 * navigation and content rules.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import type { ContractClient } from '../../src-main/contract';
import { probeElectron, ROOT, SKIP_REASON_VARIABLE } from './environment';

const skipReason = process.env[SKIP_REASON_VARIABLE] ?? probeElectron().skipReason;

/**
 * The page's global scope as these tests read it. The functions given to page.evaluate run in the
 * page, but are type-checked with the node-side tsconfig, which has no DOM types.
 */
type PageScope = Record<string, unknown> & {
  cvb?: ContractClient;
  open(url: string): unknown;
  location: { href: string };
};

test.describe('Electron app', () => {
  test.skip(skipReason !== null, `Electron e2e skipped: ${skipReason}`);
  test.describe.configure({ mode: 'serial' });

  let app: ElectronApplication;
  let page: Page;
  let home: string;
  let closed = false;

  test.beforeAll(async () => {
    const probe = probeElectron();
    if (probe.executablePath === null) throw new Error(probe.skipReason);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'cvb-electron-e2e-'));
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined && name !== 'ELECTRON_RUN_AS_NODE') env[name] = value;
    app = await electron.launch({
      executablePath: probe.executablePath,
      // Chromium's sandbox cannot start as root (CI containers); the renderer sandbox option is still set.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ROOT],
      cwd: ROOT,
      env: { ...env, CVB_HOME: home },
    });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  test.afterAll(async () => {
    if (app && !closed) await app.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  test('opens one window on the app page with the product title', async () => {
    expect(app.windows()).toHaveLength(1);
    expect(page.url()).toMatch(/^app:\/\/workbench\//);
    await expect(page).toHaveTitle(/CV Baselines Workbench/);
  });

  test('gives the page window.cvb and no Node.js', async () => {
    const globals = await page.evaluate(() => {
      const scope = globalThis as unknown as PageScope;
      return {
        cvb: typeof scope.cvb,
        cvbKeys: Object.keys(scope.cvb ?? {}).sort(),
        require: typeof scope.require,
        process: typeof scope.process,
        module: typeof scope.module,
        Buffer: typeof scope.Buffer,
        ipcRenderer: typeof scope.ipcRenderer,
      };
    });
    expect(globals).toEqual({
      cvb: 'object',
      cvbKeys: ['call', 'on'],
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      ipcRenderer: 'undefined',
    });
  });

  test('answers system.info through the bridge', async () => {
    const result = await page.evaluate(() => (globalThis as unknown as PageScope).cvb!.call('system.info', {}));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.mode).toBe('electron');
    expect(fs.realpathSync(result.value.home)).toBe(fs.realpathSync(home));
  });

  test('returns invalid requests as error values', async () => {
    const unknown = await page.evaluate(() => {
      const bridge = (globalThis as unknown as PageScope).cvb as unknown as { call(method: string, params: unknown): Promise<unknown> };
      return bridge.call('fs.readFile', { path: '/etc/passwd' });
    });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    const badParams = await page.evaluate(() => (globalThis as unknown as PageScope).cvb!.call('runs.get', { id: '../../etc' }));
    expect(badParams).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'id' } });
  });

  test('enforces the CSP: an injected inline script does not run', async () => {
    const ran = await page.evaluate(`new Promise((resolve) => {
      const script = document.createElement('script');
      script.textContent = 'window.__cvbInlineRan = true';
      document.head.append(script);
      setTimeout(() => resolve(window.__cvbInlineRan === true), 50);
    })`);
    expect(ran).toBe(false);
  });

  test('refuses to navigate away or open windows', async () => {
    const before = page.url();
    // http, not https: an https URL would be handed to the system browser.
    const refused = await page.evaluate(() => (globalThis as unknown as PageScope).open('http://example.com/') === null);
    expect(refused).toBe(true);
    await page.evaluate(() => {
      (globalThis as unknown as PageScope).location.href = 'http://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe(before);
    expect(app.windows()).toHaveLength(1);
  });

  test('remembers the window size in the data folder', async () => {
    await app.close();
    closed = true;
    const state = JSON.parse(fs.readFileSync(path.join(home, 'window-state.json'), 'utf8'));
    expect(state).toMatchObject({ width: expect.any(Number), height: expect.any(Number), maximized: expect.any(Boolean) });
  });
});

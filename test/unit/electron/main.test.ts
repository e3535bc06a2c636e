/**
 * The main process wired to the real Core, with a stand-in for the `electron` module (its binary
 * cannot run in unit tests): start-up, the window's options, the app:// handler, the session
 * rules, the IPC round trip and the saved window state. test/e2e-electron covers the real thing.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import builderConfig from '../../../electron.config';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cvb-electron-main-'));
process.env.CVB_HOME = home;

const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown;
  const state = {
    app: null as unknown as import('node:events').EventEmitter,
    windows: [] as Array<Record<string, unknown>>,
    ipcHandlers: new Map<string, Listener>(),
    protocolHandlers: new Map<string, Listener>(),
    privilegedSchemes: [] as unknown[],
    permissionRequest: null as Listener | null,
    permissionCheck: null as Listener | null,
    headersReceived: null as Listener | null,
    paths: new Map<string, string>([['userData', '/nonexistent/user-data']]),
    sandboxEnabled: false,
    crashReporterOptions: [] as unknown[],
    quitCalls: 0,
    errors: [] as string[],
  };
  return state;
});

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    enableSandbox: () => {
      fake.sandboxEnabled = true;
    },
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    isReady: () => true,
    getPath: (name: string) => fake.paths.get(name) ?? `/nonexistent/${name}`,
    setPath: (name: string, value: string) => fake.paths.set(name, value),
    getName: () => 'CV Baselines Workbench',
    getVersion: () => '0.1.0-test',
    quit: () => {
      fake.quitCalls += 1;
    },
    exit: (code: number) => {
      throw new Error(`app.exit(${code})`);
    },
  });
  fake.app = app;

  class WebContents extends Emitter {
    id = 11;
    mainFrame = { url: '', processId: 5, routingId: 1, detached: false };
    sent: unknown[][] = [];
    windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
    isDestroyed = () => false;
    send = (...args: unknown[]) => this.sent.push(args);
    setWindowOpenHandler = (handler: (details: { url: string }) => unknown) => {
      this.windowOpenHandler = handler;
    };
  }

  class BrowserWindow extends Emitter {
    webContents = new WebContents();
    loadedUrl = '';
    constructor(readonly options: Record<string, unknown>) {
      super();
      fake.windows.push(this as unknown as Record<string, unknown>);
      app.emit('web-contents-created', {}, this.webContents);
    }
    static getAllWindows = () => fake.windows;
    maximize = () => undefined;
    show = () => undefined;
    isMinimized = () => false;
    isMaximized = () => false;
    getNormalBounds = () => ({ x: 40, y: 30, width: 1300, height: 850 });
    loadURL = async (url: string) => {
      this.loadedUrl = url;
      this.webContents.mainFrame.url = url;
    };
  }

  const session = {
    defaultSession: {
      setPermissionRequestHandler: (handler: (...args: unknown[]) => unknown) => {
        fake.permissionRequest = handler;
      },
      setPermissionCheckHandler: (handler: (...args: unknown[]) => unknown) => {
        fake.permissionCheck = handler;
      },
      webRequest: {
        onHeadersReceived: (handler: (...args: unknown[]) => unknown) => {
          fake.headersReceived = handler;
        },
      },
      protocol: {
        handle: (scheme: string, handler: (...args: unknown[]) => unknown) => fake.protocolHandlers.set(scheme, handler),
      },
    },
  };

  return {
    app,
    BrowserWindow,
    session,
    crashReporter: { start: (options: unknown) => fake.crashReporterOptions.push(options) },
    protocol: { registerSchemesAsPrivileged: (schemes: unknown[]) => fake.privilegedSchemes.push(...schemes) },
    ipcMain: {
      handle: (channel: string, handler: (...args: unknown[]) => unknown) => fake.ipcHandlers.set(channel, handler),
      removeHandler: (channel: string) => fake.ipcHandlers.delete(channel),
    },
    Menu: { buildFromTemplate: (template: unknown) => ({ template }), setApplicationMenu: () => undefined },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    dialog: {
      showErrorBox: (title: string, message: string) => fake.errors.push(`${title}: ${message}`),
      showMessageBox: async () => ({ response: 0 }),
    },
    shell: { openExternal: vi.fn(async () => undefined), openPath: async () => '' },
  };
});


type FakeWindow = {
  options: { webPreferences: Record<string, unknown> };
  loadedUrl: string;
  webContents: InstanceType<typeof EventEmitter> & {
    id: number;
    mainFrame: { url: string; processId: number; routingId: number };
    windowOpenHandler: (details: { url: string }) => { action: string };
  };
  emit(event: string): void;
};

describe('electron main process', () => {
  let electron: typeof import('electron');
  let window: FakeWindow;

  beforeAll(async () => {
    // The window loads the built renderer: `npm test` builds before the unit tests.
    if (!fs.existsSync(path.resolve('dist/renderer/index.html'))) throw new Error('dist/renderer is not built: run `npm run build` first');
    await import('../../../src-main/electron/main');
    electron = await import('electron');
    await vi.waitFor(() => expect(fake.windows).toHaveLength(1), { timeout: 20_000 });
    window = fake.windows[0] as unknown as FakeWindow;
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('starts sandboxed, with the data folder from CVB_HOME and the app:// scheme', () => {
    expect(fake.errors).toEqual([]);
    expect(fake.sandboxEnabled).toBe(true);
    expect(fake.paths.get('userData')).toBe(path.join(home, 'electron'));
    expect(fake.privilegedSchemes).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(window.loadedUrl).toBe('app://workbench/index.html');
  });

  it('opens the window with the secure web preferences', () => {
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      devTools: true,
    });
    expect(String(window.options.webPreferences.preload)).toMatch(/preload\.cjs$/);
  });

  it('serves the renderer over app:// with the CSP and nothing outside it', async () => {
    const handle = fake.protocolHandlers.get('app')!;
    const page = (await handle(new Request('app://workbench/index.html'))) as Response;
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'/);
    expect(await page.text()).toContain('<div id="app">');
    const escape = (await handle(new Request('app://workbench/..%2F..%2Fpackage.json'))) as Response;
    expect(escape.status).toBe(404);
    const missing = (await handle(new Request('app://workbench/assets/nothing.js'))) as Response;
    expect(missing.status).toBe(404);
  });

  it('serves the bundled CJK font faces the stylesheet names, as font/woff2, from the packaged files', async () => {
    const handle = fake.protocolHandlers.get('app')!;
    const assets = path.resolve('dist/renderer/assets');
    const css = fs.readdirSync(assets).filter((file) => file.endsWith('.css')).map((file) => fs.readFileSync(path.join(assets, file), 'utf8')).join('');
    const faces = [...css.matchAll(/@font-face\{[^}]*font-family:Noto Sans SC[^}]*\}/g)].map(([face]) => face);
    expect(faces.length).toBeGreaterThan(90);
    const files = faces.map((face) => /url\(\.\/([^)]+\.woff2)\)/.exec(face)?.[1]);
    // Every face from a file beside the stylesheet (the CSP allows no data: fonts), none as woff.
    expect(files.filter((file) => file === undefined)).toEqual([]);
    expect(css).not.toMatch(/\.woff\)|data:font/);
    const font = (await handle(new Request(`app://workbench/assets/${files[0]}`))) as Response;
    expect(font.status).toBe(200);
    expect(font.headers.get('content-type')).toBe('font/woff2');
    expect(Buffer.from(await font.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('wOF2');
    expect(builderConfig.files).toContain('dist/renderer/**');
  });

  it('answers system.info over IPC from the main frame, from the real workbench', async () => {
    const call = fake.ipcHandlers.get('cvb:call')!;
    const result = (await call({ sender: window.webContents, senderFrame: window.webContents.mainFrame }, 'system.info', {})) as {
      ok: boolean;
      value: { mode: string; home: string; version: string };
    };
    expect(result).toMatchObject({ ok: true, value: { mode: 'electron', home, version: '0.1.0-test' } });
  });

  it('keeps crash dumps on this machine and a log file in the data folder, both named by system.about', async () => {
    expect(fake.crashReporterOptions).toEqual([expect.objectContaining({ uploadToServer: false })]);
    const call = fake.ipcHandlers.get('cvb:call')!;
    const result = (await call({ sender: window.webContents, senderFrame: window.webContents.mainFrame }, 'system.about', {})) as {
      ok: boolean;
      value: { logFile: string; logFolder: string; crashDumpsFolder: string; versions: { app: string } };
    };
    expect(result).toMatchObject({
      ok: true,
      value: { logFolder: path.join(home, 'logs'), crashDumpsFolder: '/nonexistent/crashDumps', versions: { app: '0.1.0-test' } },
    });
    expect(path.dirname(result.value.logFile)).toBe(path.join(home, 'logs'));
    await vi.waitFor(() => expect(fs.readFileSync(result.value.logFile, 'utf8')).toMatch(/"msg":"desktop app starting"/));
  });

  it('refuses permissions, navigation away and new windows', () => {
    const decisions: boolean[] = [];
    fake.permissionRequest!(window.webContents, 'media', (granted: boolean) => decisions.push(granted), { requestingUrl: 'app://workbench/index.html' });
    expect(decisions).toEqual([false]);
    expect(fake.permissionCheck!(window.webContents, 'geolocation', 'app://workbench', { requestingUrl: 'app://workbench/' })).toBe(false);

    const navigation = { preventDefault: vi.fn() };
    window.webContents.emit('will-navigate', navigation, 'https://example.com/');
    expect(navigation.preventDefault).toHaveBeenCalled();
    const reload = { preventDefault: vi.fn() };
    window.webContents.emit('will-navigate', reload, 'app://workbench/index.html');
    expect(reload.preventDefault).not.toHaveBeenCalled();

    expect(window.webContents.windowOpenHandler({ url: 'https://arxiv.org/abs/1512.03385' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledWith('https://arxiv.org/abs/1512.03385');
    expect(window.webContents.windowOpenHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledTimes(1);
  });

  it('adds the CSP to http(s) responses too', () => {
    let response: { responseHeaders: Record<string, unknown> } | null = null;
    fake.headersReceived!({ responseHeaders: { Server: ['x'] } }, (value: typeof response) => {
      response = value;
    });
    expect(response!.responseHeaders).toMatchObject({ Server: ['x'], 'Content-Security-Policy': [expect.stringContaining("default-src 'none'")] });
  });

  it('saves the window state when the window closes and unbinds IPC', () => {
    window.emit('close');
    window.emit('closed');
    expect(JSON.parse(fs.readFileSync(path.join(home, 'window-state.json'), 'utf8'))).toEqual({ x: 40, y: 30, width: 1300, height: 850, maximized: false });
    expect(fake.ipcHandlers.has('cvb:call')).toBe(false);
  });
});

/**
 * The Electron main process: app lifecycle, the one window, its security settings, the menu.
 * Core does the work (plain Node, started through createWorkbench); this file only hosts it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, crashReporter, dialog, Menu, screen, session, shell, type Session, type WebContents } from 'electron';
import { openLogFile, type LogFile } from '../core/log';
import { createWorkbench, type Workbench } from '../core/workbench';
import { bindContractIpc } from './ipc';
import { buildApplicationMenu } from './menu';
import { addSecurityHeaders, APP_ENTRY_URL, externalUrlToOpen, isAllowedNavigation, isPermissionAllowed } from './policy';
import { handleAppScheme, registerAppScheme } from './protocol';
import { fitToDisplays, MIN_WINDOW_SIZE, readWindowState, writeWindowState } from './window-state';

// Bundled to dist/main/electron-main.cjs, so the app root is two folders up (inside app.asar when packaged).
const appRoot = path.resolve(__dirname, '..', '..');
const rendererDir = path.join(appRoot, 'dist', 'renderer');
const preloadPath = path.join(__dirname, 'preload.cjs');
const workerEntry = path.join(__dirname, 'train-worker.js');
const resourcesDir = app.isPackaged ? path.join(process.resourcesPath, 'resources') : path.join(appRoot, 'resources');

// CVB_HOME gives a separate data folder, and with it separate Chromium state and a separate
// single-instance lock, so a test or a second workspace can run beside the everyday app.
const home = process.env.CVB_HOME ? path.resolve(process.env.CVB_HOME) : app.getPath('userData');
if (process.env.CVB_HOME) app.setPath('userData', path.join(home, 'electron'));

let mainWindow: BrowserWindow | null = null;
let workbench: Promise<Workbench> | null = null;
let log: LogFile | null = null;

/** Every renderer runs sandboxed, whatever a window's own options say. */
app.enableSandbox();
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Crash dumps of every Electron process stay on this machine (nothing is uploaded); the About
  // panel shows their folder so a user can attach one to a bug report.
  crashReporter.start({ uploadToServer: false });
  app.on('render-process-gone', (_event, _contents, details) => log?.logger.error({ reason: details.reason, exitCode: details.exitCode }, 'the window process ended'));
  app.on('child-process-gone', (_event, details) => log?.logger.error({ type: details.type, reason: details.reason, exitCode: details.exitCode }, 'an Electron child process ended'));
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) openMainWindow();
  });
  app.on('will-quit', (event) => {
    if (!workbench) return;
    // Stop the training workers before leaving; the run folders record them as interrupted otherwise.
    event.preventDefault();
    const closing = workbench;
    workbench = null;
    closing
      .then((host) => host.close())
      .catch((error: unknown) => {
        console.error('[main] closing the workbench failed:', error);
        log?.logger.error({ err: error }, 'closing the workbench failed');
      })
      .then(() => log?.close())
      .finally(() => app.quit());
  });
  app.whenReady().then(start).catch(fail);
}

async function start(): Promise<void> {
  if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built (${path.join(rendererDir, 'index.html')} is missing); run \`npm run build\``);
  }
  log = await openLogFile({ folder: path.join(home, 'logs') });
  log.logger.info({ electron: process.versions.electron, chrome: process.versions.chrome, packaged: app.isPackaged }, 'desktop app starting');
  hardenSession(session.defaultSession);
  handleAppScheme(session.defaultSession, rendererDir);
  workbench = createWorkbench({
    home,
    resourcesDir,
    mode: 'electron',
    log,
    crashDumpsFolder: app.getPath('crashDumps'),
    version: app.getVersion(),
    workerEntry,
    ...workerProcessOptions(),
  });
  workbench.catch(fail);
  Menu.setApplicationMenu(buildApplicationMenu({ home, getWindow: () => mainWindow }));
  openMainWindow();
}

/**
 * Core forks each worker with child_process.fork. Inside Electron, fork already runs the child
 * as plain Node (it sets ELECTRON_RUN_AS_NODE=1, and on macOS picks the helper binary so no second
 * Dock icon appears); we pass both explicitly so Core need not know it runs under Electron. This
 * needs the RunAsNode fuse left on (electron.config.ts).
 */
function workerProcessOptions(): { workerExecPath: string; workerEnv: Record<string, string> } {
  const helperExecPath = (process as NodeJS.Process & { helperExecPath?: string }).helperExecPath;
  const workerExecPath = process.platform === 'darwin' && helperExecPath ? helperExecPath : process.execPath;
  return { workerExecPath, workerEnv: { ELECTRON_RUN_AS_NODE: '1' } };
}

function openMainWindow(): void {
  const state = fitToDisplays(
    readWindowState(home),
    screen.getAllDisplays().map((display) => display.workArea),
  );
  const window = new BrowserWindow({
    x: state.x,
    y: state.y,
    width: state.width,
    height: state.height,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    title: app.getName(),
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // A middle click on a link would ask for a new window; the page has no use for auxclick.
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  mainWindow = window;
  if (state.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  window.on('close', () => {
    try {
      writeWindowState(home, { ...window.getNormalBounds(), maximized: window.isMaximized() });
    } catch (error) {
      console.warn('[main] could not save the window state:', error);
    }
  });
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  bindContractIpc(workbench ?? Promise.reject(new Error('the workbench was not started')), window);
  void window.loadURL(APP_ENTRY_URL);
}

/** Session-wide rules: no permissions, a strict CSP on any response that has headers. */
function hardenSession(target: Session): void {
  target.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl));
  });
  target.setPermissionCheckHandler((_contents, permission, _origin, details) => isPermissionAllowed(permission, details.requestingUrl ?? ''));
  // The app:// handler adds these headers itself (webRequest skips custom schemes); this covers
  // anything that ever arrives over http(s), such as a page opened by mistake.
  target.webRequest.onHeadersReceived((details, callback) => addSecurityHeaders(details.responseHeaders, callback));
}

/** Applied to every web contents: no navigation away from the app, no new windows, no webviews. */
function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrlToOpen(url);
    if (external !== null) void shell.openExternal(external);
    return { action: 'deny' };
  });
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error('[main] could not start:', error);
  log?.logger.fatal({ err: error }, 'the desktop app could not start');
  dialog.showErrorBox(`${app.getName()} could not start`, message);
  workbench = null;
  app.exit(1);
}

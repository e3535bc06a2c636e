// `npm start`: installs what is missing, builds what is stale, then opens the desktop app; where
// Electron's binary cannot be had, runs the same workbench in browser mode (`cvb serve`) instead.
//
//   node scripts/start.mjs [args for the app or for `cvb serve`]
//   node scripts/start.mjs --fetch-electron-only   fetch Electron's binary if missing, report, exit 0
//   node scripts/start.mjs --build                 rebuild even when dist looks up to date
//
// Plain Node, no dependencies: it runs before `npm ci` has ever been run.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD, staleness } from './lib/build.mjs';
import { ensureDependencies } from './lib/dependencies.mjs';
import { installedElectron } from './lib/electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const DOWNLOAD_TIMEOUT_MS = 60_000;

const argv = process.argv.slice(2);
const fetchOnly = argv.includes('--fetch-electron-only');
const forceBuild = argv.includes('--build');
const passThrough = argv.filter((arg) => arg !== '--fetch-electron-only' && arg !== '--build');

function log(message) {
  console.log(`[start] ${message}`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// (1) Dependencies: scripts/lib/dependencies.mjs.

// (2) Build: skipped when every output is newer than every input.
function ensureBuilt() {
  if (!forceBuild && staleness(BUILD) === null) return;
  log('building (npm run build)');
  const status = run(npm, ['run', '--silent', 'build']);
  if (status !== 0) {
    console.error('[start] the build failed; see the output above.');
    process.exit(status);
  }
}

/** The first line of the installer's error, without its class name: "getaddrinfo ENOTFOUND github.com". */
function downloadFailureReason(output) {
  const line = output
    .split(/\r?\n/)
    .map((text) => text.trim())
    .find((text) => text && !text.startsWith('at '));
  return line ? line.replace(/^[A-Za-z]*Error:\s*/, '') : 'the download failed';
}

function findOrFetchElectron() {
  const found = installedElectron(root);
  if (found.path || found.reason === 'the electron package is not installed') return found;
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return { path: null, reason: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set' };
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  const result = spawnSync(process.execPath, [installer], { cwd: root, encoding: 'utf8', timeout: DOWNLOAD_TIMEOUT_MS });
  if (result.error) {
    const timedOut = result.error.code === 'ETIMEDOUT';
    return { path: null, reason: timedOut ? `the download took longer than ${DOWNLOAD_TIMEOUT_MS / 1000} s` : result.error.message };
  }
  const after = installedElectron(root);
  if (after.path) return after;
  return { path: null, reason: result.status === 0 ? after.reason : downloadFailureReason(`${result.stderr}\n${result.stdout}`) };
}

/** Runs `command`, relays Ctrl+C and termination to it, and exits with its code. */
function handOver(command, args, options = {}) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
  // Ctrl+C in a terminal already reaches the child (same process group); relaying it would
  // deliver it twice, which `cvb serve` takes as "stop now".
  process.on('SIGINT', () => {
    if (!process.stdin.isTTY) child.kill('SIGINT');
  });
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(`[start] could not run ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return child;
}

function canOpenBrowser() {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  return spawnSync('xdg-open', ['--version'], { stdio: 'ignore' }).status === 0;
}

function openInBrowser(url) {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

/** (4b) Browser mode: `cvb serve` prints its URL; open it when there is a desktop to open it on. */
function startBrowserMode(args) {
  const child = handOver(process.execPath, [path.join(root, 'dist', 'main', 'cli.js'), 'serve', ...args], { stdio: ['inherit', 'pipe', 'inherit'] });
  let opened = !canOpenBrowser();
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (opened) return;
    const url = /https?:\/\/[^\s'"]+/.exec(chunk.toString())?.[0];
    if (url) {
      opened = true;
      openInBrowser(url);
    }
  });
}

if (fetchOnly) {
  const electron = findOrFetchElectron();
  console.log(electron.path ? `Electron's binary is installed: ${electron.path}` : `Electron's binary is not installed and could not be downloaded (${electron.reason}).`);
  process.exit(0);
}

ensureDependencies((message) => log(message));
ensureBuilt();
const electron = findOrFetchElectron();
if (electron.path) {
  // An inherited ELECTRON_RUN_AS_NODE (e.g. from a parent Electron tool) would start plain Node instead of the app.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  handOver(electron.path, ['.', ...passThrough], { env });
} else {
  console.log(`Electron's binary is not installed and could not be downloaded (${electron.reason}); starting the browser mode instead.`);
  startBrowserMode(passThrough);
}

/**
 * Where the Electron e2e suite finds Electron, and why it cannot run when it cannot. Shared by the
 * global setup (which prints the reason once) and the spec (which skips with it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedElectron } from '../../scripts/lib/electron-binary.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD_OUTPUTS = ['dist/main/electron-main.cjs', 'dist/main/preload.cjs', 'dist/main/train-worker.js', 'dist/renderer/index.html'];

/** Set by the global setup for the test workers. */
export const SKIP_REASON_VARIABLE = 'CVB_ELECTRON_E2E_SKIP';

export type ElectronProbe = { executablePath: string; skipReason: null } | { executablePath: null; skipReason: string };

/** The Electron binary from node_modules/electron, found without starting its download. */
export function probeElectron(): ElectronProbe {
  const installed = installedElectron(ROOT);
  if (installed.path === null) {
    return { executablePath: null, skipReason: `${installed.reason} (\`node scripts/start.mjs --fetch-electron-only\` downloads it)` };
  }
  const executablePath = installed.path;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { executablePath: null, skipReason: 'no display (DISPLAY is unset); run under xvfb-run' };
  }
  return { executablePath, skipReason: null };
}

export function missingBuildOutputs(): string[] {
  return BUILD_OUTPUTS.filter((file) => !fs.existsSync(path.join(ROOT, file)));
}

// Where node_modules/electron keeps its binary, found by reading the package's path.txt instead of
// require('electron'): since Electron 42 requiring the package downloads a missing binary, so a mere
// check (`npm start` deciding between the window and the browser mode, the e2e suite deciding to
// skip) would reach out to the internet.
import fs from 'node:fs';
import path from 'node:path';

/** @returns {{ path: string, reason: null } | { path: null, reason: string }} */
export function installedElectron(root) {
  const packageDir = path.join(root, 'node_modules', 'electron');
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) return { path: null, reason: 'the electron package is not installed' };
  let relative;
  try {
    relative = fs.readFileSync(path.join(packageDir, 'path.txt'), 'utf8').trim();
  } catch {
    return { path: null, reason: "Electron's binary is not installed in node_modules/electron" };
  }
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(packageDir, 'dist');
  const binary = path.join(distDir, relative);
  return fs.existsSync(binary) ? { path: binary, reason: null } : { path: null, reason: `${binary} does not exist` };
}

// Installs the project's dependencies when they are missing or older than package-lock.json.
// Plain Node, no dependencies: `npm start` and `npm test` call it before anything else, so each
// of the README's two commands works on a fresh clone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** npm writes node_modules/.package-lock.json on every install; older than the lock means stale. */
export function ensureDependencies(log = (message) => console.log(message)) {
  const installed = mtime(path.join(root, 'node_modules', '.package-lock.json'));
  const lock = mtime(path.join(root, 'package-lock.json'));
  if (installed !== null && (lock === null || lock <= installed)) return;
  log(installed === null ? 'node_modules is missing; running npm ci' : 'package-lock.json changed; running npm ci');
  const result = spawnSync(npm, ['ci'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error('npm ci failed; see the output above.');
    process.exit(result.status ?? 1);
  }
}

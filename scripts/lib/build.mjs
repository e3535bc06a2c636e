// What `npm start` and `npm run cvb` share: is a build output older than its sources? Plain Node,
// no dependencies (it runs before the first build).
import fs from 'node:fs';
import path from 'node:path';
import { root } from './dependencies.mjs';

/** The newest modification time under `target` (a file or a folder), or 0 when it does not exist. */
function newestMtime(target) {
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry.name)));
  }
  return newest;
}

/** Sources and outputs (paths relative to the repository) of the whole build and of the renderer alone. */
export const BUILD = {
  inputs: ['src-main', 'src-renderer', 'index.html', 'package.json', 'package-lock.json', 'scripts/build-main.mjs', 'vite.config.ts', 'vite.config.mts', 'tsconfig.base.json', 'tsconfig.web.json'],
  outputs: ['dist/main/electron-main.cjs', 'dist/main/preload.cjs', 'dist/main/cli.js', 'dist/main/train-worker.js', 'dist/renderer/index.html'],
};
/** The renderer imports the contract from src-main and nothing else. */
export const RENDERER_BUILD = {
  inputs: ['src-renderer', 'src-main/contract', 'package.json', 'package-lock.json', 'vite.config.ts', 'tsconfig.base.json', 'tsconfig.web.json'],
  outputs: ['dist/renderer/index.html'],
};

/** Null when every output is newer than every input, else why not ("missing" or "older than its sources"). */
export function staleness({ inputs, outputs }) {
  const times = outputs.map((file) => newestMtime(path.join(root, file)));
  if (times.includes(0)) return 'missing';
  const newestInput = Math.max(...inputs.map((input) => newestMtime(path.join(root, input))));
  return newestInput < Math.min(...times) ? null : 'older than its sources';
}

// `npm run cvb -- <command>`: bundles the node side (a second or less), builds the renderer too
// when the command is `serve` and the renderer is missing or older than its sources (as `npm
// start` does), then runs the command. Build messages go to stderr, so `--json` output stays clean.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RENDERER_BUILD, staleness } from './lib/build.mjs';
import { root } from './lib/dependencies.mjs';

function build(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] });
  if (result.status !== 0) {
    console.error('[cvb] the build failed; see the output above.');
    process.exit(result.status ?? 1);
  }
}

const argv = process.argv.slice(2);
build([path.join(root, 'scripts', 'build-main.mjs'), '--quiet']);
const renderer = argv[0] === 'serve' ? staleness(RENDERER_BUILD) : null;
if (renderer) {
  console.error(`[cvb] the renderer is ${renderer}; building it (vite build)`);
  build([path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']);
}
await import(pathToFileURL(path.join(root, 'dist', 'main', 'cli.js')).href);

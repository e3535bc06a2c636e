import { execFileSync, spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..', '..');
export const distMain = join(repoRoot, 'dist', 'main');

let built = false;

/** Tests that fork the training worker or run the CLI need the bundled node-side build. */
export function buildMain(): void {
  if (built) return;
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build-main.mjs'), '--quiet'], { cwd: repoRoot, stdio: 'inherit' });
  built = true;
}

/** Runs the bundled `cvb` on a home folder; its stdout lines parsed as JSON (with --json). */
export function runCli(args: string[], home: string, timeout = 300_000) {
  const result = spawnSync(process.execPath, [join(distMain, 'cli.js'), ...args, '--home', home], { encoding: 'utf8', timeout });
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  return { code: result.status, lines, json: lines.map((line) => JSON.parse(line)), stdout: result.stdout, stderr: result.stderr };
}

/**
 * Bundles the batch worker thread into its own folder for one test file (dist/test-<name>/), as
 * scripts/build-main.mjs does for dist/main, so parallel test files never rewrite each other's copy.
 * Inside the repository, so that the bundle's external packages resolve from node_modules.
 */
export async function bundleBatchWorker(name: string): Promise<string> {
  const outfile = join(repoRoot, 'dist', `test-${name}`, 'batch-worker.js');
  await build({
    entryPoints: [join(repoRoot, 'src-main/data/batch-worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cvbCreateRequire } from 'node:module'; const require = __cvbCreateRequire(import.meta.url);" },
  });
  return outfile;
}

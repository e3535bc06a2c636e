import { execFileSync } from 'node:child_process';
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

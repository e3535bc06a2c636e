import { execFileSync } from 'node:child_process';

/** Tests that fork the training worker or the CLI need the bundled node-side build. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-main.mjs', '--quiet'], { stdio: 'inherit' });
}

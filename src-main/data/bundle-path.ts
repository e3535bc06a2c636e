/**
 * Paths beside the bundle this code was built into (dist/main/), whichever script node was started
 * with: `npm run cvb` starts scripts/cvb.mjs, which imports dist/main/cli.js, so process.argv[1] is
 * not it. In the CommonJS Electron bundle, scripts/build-main.mjs defines import.meta.url. From the
 * TypeScript sources (Vitest) this is src-main/data/, two levels below the repository as dist/main is.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `parts` joined onto this bundle's folder: a bundled worker entry, or `'..', '..'` for the repository. */
export function besideThisBundle(...parts: string[]): string {
  return join(dirname(fileURLToPath(import.meta.url)), ...parts);
}

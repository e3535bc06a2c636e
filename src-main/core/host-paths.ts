/**
 * The host-path policy, decided once for every request field that names a file or folder on the
 * host (listed in contract/host-paths.ts). The desktop app and the CLI act for the machine's own
 * user and accept any path. Browser mode serves whoever holds the token, so a path is accepted only
 * inside a folder the server's owner listed with `cvb serve --data-root DIR`, judged by its real path
 * (symlinks and `..` resolved); with no data roots, files must be uploaded.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { describeValue, hostPathAlternative, hostPathsIn, type ApiError, type MethodName } from '../contract';

export interface HostPathPolicy {
  /** null: any path; else the real paths of the folders a path must lie in (possibly none). */
  readonly roots: readonly string[] | null;
  /**
   * Checks every host path in a parsed request. On success the params carry each path's real path
   * (the method then reads what was checked, not whatever a symlink points at later).
   */
  check(method: MethodName, params: unknown): Promise<{ ok: true; params: unknown } | { ok: false; error: ApiError }>;
}

export const ANY_HOST_PATH: HostPathPolicy = {
  roots: null,
  check: async (_method, params) => ({ ok: true, params }),
};

/**
 * The real paths of the folders given with `--data-root`; throws an Error that names the folder
 * when one is missing or not a folder.
 */
export async function resolveDataRoots(folders: readonly string[]): Promise<string[]> {
  const roots: string[] = [];
  for (const folder of folders) {
    let real: string;
    try {
      real = await realpath(folder);
    } catch (error) {
      throw new Error(`${folder}: cannot be used as a data root (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
    }
    if (!(await stat(real)).isDirectory()) throw new Error(`${folder}: a data root must be a folder`);
    if (!roots.includes(real)) roots.push(real);
  }
  return roots;
}

/** Paths only inside `roots` (already real paths, from resolveDataRoots). */
export function hostPathsUnder(roots: readonly string[]): HostPathPolicy {
  const listed = roots.join(', ');
  return {
    roots,
    async check(method, params) {
      for (const { keys, path } of hostPathsIn(method, params as never)) {
        const field = keys.join('.');
        const instead = hostPathAlternative(method);
        const refuse = (reason: string): { ok: false; error: ApiError } => ({ ok: false, error: { code: 'invalid_request', field, message: `${field}: ${reason}` } });
        if (roots.length === 0) {
          return refuse(`this server accepts no paths on its disk (it was started without --data-root); ${instead}`);
        }
        if (!isAbsolute(path) || path.includes('\0')) {
          return refuse(`must be an absolute path inside this server's data folders (${listed}); received ${describeValue(path)}`);
        }
        const real = await realPathOf(path).catch(() => null);
        if (real === null || !roots.some((root) => isInsideOrEqual(root, real))) {
          return refuse(`${describeValue(path)} is not inside this server's data folders (${listed}); choose a path inside them, or ${instead}`);
        }
        setAt(params, keys, real);
      }
      return { ok: true, params };
    },
  };
}

/**
 * The real path of `path`; for a path that does not exist (yet), its nearest existing ancestor's
 * real path joined with the rest, so a missing file behind a symlink is judged where it would be.
 */
async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const parent = dirname(path);
    if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path) throw error;
    return join(await realPathOf(parent), basename(path));
  }
}

function isInsideOrEqual(root: string, candidate: string): boolean {
  const rest = relative(root, candidate);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

function setAt(target: unknown, keys: readonly (string | number)[], value: string): void {
  let node = target as Record<string | number, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[keys[keys.length - 1]] = value;
}

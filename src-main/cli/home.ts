/** Where the workbench keeps its data: --home, else CVB_HOME, else the desktop app's user-data folder. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const PRODUCT_NAME = 'CV Baselines Workbench';

/** The same folder Electron's app.getPath('userData') gives, so the CLI and the app share runs. */
export function defaultHome(platform = process.platform, env = process.env): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME);
}

export function resolveHome(flag: string | undefined, env = process.env): string {
  if (flag) return resolve(flag);
  if (env.CVB_HOME) return resolve(env.CVB_HOME);
  return defaultHome(process.platform, env);
}

/**
 * Where the desktop app can tell a folder's path: the Electron preload's `window.cvbFiles` (a
 * folder dialog, and the path of a dropped folder). In the browser it is absent and the screen
 * asks for a typed path instead.
 */
import type { DesktopFilesBridge } from '../../../src-main/contract';

export type DesktopFiles = Partial<DesktopFilesBridge>;

declare global {
  interface Window {
    cvbFiles?: DesktopFiles;
  }
}

function desktopFiles(): DesktopFiles | undefined {
  return typeof window === 'undefined' ? undefined : window.cvbFiles;
}

export function canPickFolder(): boolean {
  return typeof desktopFiles()?.pickFolder === 'function';
}

export function pickFolder(): Promise<string | null> {
  return desktopFiles()?.pickFolder?.() ?? Promise.resolve(null);
}

/** The path of the first dropped item, or null when this window cannot know it. */
export function droppedPath(transfer: DataTransfer | null): string | null {
  const file = transfer?.files?.[0];
  if (!file) return null;
  const files = desktopFiles();
  const path = files?.pathForFile?.(file) ?? (file as File & { path?: unknown }).path;
  return typeof path === 'string' && path !== '' ? path : null;
}

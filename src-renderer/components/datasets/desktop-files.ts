/**
 * Where the desktop app can tell a folder's path: a folder dialog, and the path of a dropped
 * folder. Electron no longer puts `path` on a dropped File, so the preload is to expose
 * `window.cvbFiles` (webUtils.getPathForFile, dialog.showOpenDialog); until it does, and in the
 * browser, both are absent and the screen asks for a typed path instead.
 */
export interface DesktopFiles {
  /** The absolute path of a dropped file or folder; '' when it has none (not from the disk). */
  pathForFile?(file: File): string;
  /** Opens a folder dialog; null when the user cancels. */
  pickFolder?(): Promise<string | null>;
}

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

/**
 * The main window's size and position, remembered between launches in `<home>/window-state.json`.
 * Written atomically (temporary file + rename), so a crash mid-write leaves the previous state.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 820, maximized: false };
export const MIN_WINDOW_SIZE = { width: 900, height: 600 };

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** Checks a parsed state file; anything malformed falls back to the defaults. */
export function parseWindowState(value: unknown): WindowState {
  if (value === null || typeof value !== 'object') return { ...DEFAULT_WINDOW_STATE };
  const record = value as Record<string, unknown>;
  const { width, height, x, y, maximized } = record;
  if (!isInteger(width) || !isInteger(height) || width < MIN_WINDOW_SIZE.width || height < MIN_WINDOW_SIZE.height) {
    return { ...DEFAULT_WINDOW_STATE };
  }
  const state: WindowState = { width: Math.min(width, 16384), height: Math.min(height, 16384), maximized: maximized === true };
  if (isInteger(x) && isInteger(y)) {
    state.x = x;
    state.y = y;
  }
  return state;
}

/**
 * Drops the remembered position when the window would not be visible on any of today's displays
 * (a monitor was unplugged), so the window opens centred instead of off-screen.
 */
export function fitToDisplays(state: WindowState, workAreas: Rectangle[]): WindowState {
  if (state.x === undefined || state.y === undefined) return state;
  const { x, y } = state;
  const minimumVisible = 100;
  const visible = workAreas.some(
    (area) =>
      x + minimumVisible <= area.x + area.width &&
      x + state.width - minimumVisible >= area.x &&
      y >= area.y &&
      y + minimumVisible <= area.y + area.height,
  );
  if (visible) return state;
  return { width: state.width, height: state.height, maximized: state.maximized };
}

export function readWindowState(home: string): WindowState {
  try {
    return parseWindowState(JSON.parse(fs.readFileSync(path.join(home, WINDOW_STATE_FILE), 'utf8')));
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

export function writeWindowState(home: string, state: WindowState): void {
  const target = path.join(home, WINDOW_STATE_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(temporary, target);
}

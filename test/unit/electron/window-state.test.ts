import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_STATE,
  fitToDisplays,
  parseWindowState,
  readWindowState,
  WINDOW_STATE_FILE,
  writeWindowState,
} from '../../../src-main/electron/window-state';

const display = { x: 0, y: 0, width: 1920, height: 1040 };

describe('window state', () => {
  const homes: string[] = [];
  afterEach(() => {
    for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
  });

  function tempHome(): string {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cvb-window-'));
    homes.push(home);
    return home;
  }

  it('round-trips through the file and leaves no temporary file behind', () => {
    const home = tempHome();
    const state = { x: 10, y: 20, width: 1400, height: 900, maximized: true };
    writeWindowState(home, state);
    expect(readWindowState(home)).toEqual(state);
    expect(fs.readdirSync(home)).toEqual([WINDOW_STATE_FILE]);
  });

  it('creates the data folder when it is missing', () => {
    const home = path.join(tempHome(), 'nested', 'home');
    writeWindowState(home, DEFAULT_WINDOW_STATE);
    expect(readWindowState(home)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('falls back to the defaults for a missing, torn or malformed file', () => {
    const home = tempHome();
    expect(readWindowState(home)).toEqual(DEFAULT_WINDOW_STATE);
    fs.writeFileSync(path.join(home, WINDOW_STATE_FILE), '{"width": 14');
    expect(readWindowState(home)).toEqual(DEFAULT_WINDOW_STATE);
    expect(parseWindowState({ width: 'wide', height: 900 })).toEqual(DEFAULT_WINDOW_STATE);
    expect(parseWindowState({ width: 100, height: 100 })).toEqual(DEFAULT_WINDOW_STATE);
    expect(parseWindowState(null)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('keeps a position only when both coordinates are integers', () => {
    expect(parseWindowState({ width: 1000, height: 700, x: 5 })).toEqual({ width: 1000, height: 700, maximized: false });
    expect(parseWindowState({ width: 1000, height: 700, x: 5, y: 6, maximized: 'yes' })).toEqual({ width: 1000, height: 700, x: 5, y: 6, maximized: false });
  });

  it('forgets a position that no display shows any more', () => {
    const onScreen = { x: 100, y: 100, width: 1200, height: 800, maximized: false };
    expect(fitToDisplays(onScreen, [display])).toEqual(onScreen);
    const offScreen = { x: 3000, y: 100, width: 1200, height: 800, maximized: false };
    expect(fitToDisplays(offScreen, [display])).toEqual({ width: 1200, height: 800, maximized: false });
    expect(fitToDisplays(offScreen, [display, { x: 1920, y: 0, width: 2560, height: 1400 }])).toEqual(offScreen);
    expect(fitToDisplays({ ...onScreen, y: -500 }, [display])).toEqual({ width: 1200, height: 800, maximized: false });
  });
});

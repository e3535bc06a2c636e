import { describe, expect, it, vi } from 'vitest';

const exposed = new Map<string, unknown>();
const rendererListeners = new Map<string, Set<(...args: unknown[]) => void>>();
const invoke = vi.fn(async (..._args: unknown[]) => ({ ok: true, value: 'pong' }));

class FakeFile {}
vi.stubGlobal('File', FakeFile);
const getPathForFile = vi.fn((_file: unknown) => '/home/me/photos');

vi.mock('electron', () => ({
  webUtils: { getPathForFile: (file: unknown) => getPathForFile(file) },
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke,
    on: (channel: string, listener: (...args: unknown[]) => void) => {
      if (!rendererListeners.has(channel)) rendererListeners.set(channel, new Set());
      rendererListeners.get(channel)!.add(listener);
    },
    removeListener: (channel: string, listener: (...args: unknown[]) => void) => rendererListeners.get(channel)?.delete(listener),
  },
}));

await import('../../../src-main/electron/preload');

describe('preload bridge', () => {
  const bridge = exposed.get('cvb') as { call: (...args: unknown[]) => Promise<unknown>; on: (listener: unknown) => () => void };

  it('exposes window.cvb with call and on only, and window.cvbFiles with the two file helpers', () => {
    expect([...exposed.keys()]).toEqual(['cvb', 'cvbFiles']);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on']);
    expect(Object.keys(exposed.get('cvbFiles') as object).sort()).toEqual(['pathForFile', 'pickFolder']);
  });

  it('gives the path of a dropped file, nothing for other values, and asks main for the folder dialog', async () => {
    const files = exposed.get('cvbFiles') as { pathForFile: (file: unknown) => string; pickFolder: () => Promise<unknown> };
    expect(files.pathForFile(new FakeFile())).toBe('/home/me/photos');
    expect(files.pathForFile({ path: '/etc/passwd' })).toBe('');
    expect(getPathForFile).toHaveBeenCalledTimes(1);
    await files.pickFolder();
    expect(invoke).toHaveBeenCalledWith('cvb:pick-folder');
  });

  it('invokes the contract channel with the method and params', async () => {
    await expect(bridge.call('system.info', {})).resolves.toEqual({ ok: true, value: 'pong' });
    expect(invoke).toHaveBeenCalledWith('cvb:call', 'system.info', {});
  });

  it('hands listeners the message only, never the IPC event, and unsubscribes', () => {
    const received: unknown[][] = [];
    const unsubscribe = bridge.on((...args: unknown[]) => received.push(args));
    const ipcEvent = { sender: 'ipcRenderer itself' };
    const message = { event: 'run.status', data: { runId: 'r1', status: 'running', error: null } };
    for (const listener of rendererListeners.get('cvb:event')!) listener(ipcEvent, message);
    expect(received).toEqual([[message]]);

    unsubscribe();
    expect(rendererListeners.get('cvb:event')!.size).toBe(0);
  });

  it('rejects a listener that is not a function', () => {
    expect(() => bridge.on('alert(1)')).toThrow(TypeError);
  });
});

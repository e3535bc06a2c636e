import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventMessage, Result } from '../../../src-main/contract';
import type { ContractHost } from '../../../src-main/core/host';

type Handler = (event: unknown, ...args: unknown[]) => Promise<Result<unknown>>;
const handlers = new Map<string, Handler>();

const showOpenDialog = vi.fn(async () => ({ canceled: false, filePaths: ['/home/me/photos'] }));

vi.mock('electron', () => ({
  dialog: { showOpenDialog: (...args: unknown[]) => showOpenDialog(...(args as [])) },
  ipcMain: {
    handle: (channel: string, handler: Handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, handler);
    },
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}));

const { bindContractIpc } = await import('../../../src-main/electron/ipc');

const APP_PAGE = 'app://workbench/index.html';

function fakeWindow() {
  const mainFrame = { url: APP_PAGE, processId: 7, routingId: 1, detached: false };
  const sent: unknown[][] = [];
  const contents = {
    id: 3,
    mainFrame,
    isDestroyed: () => false,
    send: (...args: unknown[]) => sent.push(args),
  };
  const window = Object.assign(new EventEmitter(), { webContents: contents });
  return { window, contents, mainFrame, sent };
}

function fakeHost() {
  const listeners = new Set<(message: EventMessage) => void>();
  const host: ContractHost = {
    request: vi.fn(async (method: unknown) => ({ ok: true as const, value: { echoed: method } })),
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { host, listeners };
}

const statusEvent: EventMessage = { event: 'run.status', data: { runId: 'r1', status: 'running', error: null } };

describe('bindContractIpc', () => {
  beforeEach(() => {
    handlers.clear();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  it('passes calls from the app page in the main frame to host.request', async () => {
    const { window, contents, mainFrame } = fakeWindow();
    const { host } = fakeHost();
    bindContractIpc(Promise.resolve(host), window as never);
    const result = await handlers.get('cvb:call')!({ sender: contents, senderFrame: mainFrame }, 'system.info', {});
    expect(result).toEqual({ ok: true, value: { echoed: 'system.info' } });
    expect(host.request).toHaveBeenCalledWith('system.info', {});
  });

  it('refuses calls from another frame, another window or another page, as error values', async () => {
    const { window, contents, mainFrame } = fakeWindow();
    const { host } = fakeHost();
    bindContractIpc(Promise.resolve(host), window as never);
    const call = handlers.get('cvb:call')!;
    const senders = [
      { sender: contents, senderFrame: { ...mainFrame, routingId: 2 } },
      { sender: contents, senderFrame: null },
      { sender: { id: 4 }, senderFrame: mainFrame },
      { sender: contents, senderFrame: { ...mainFrame, url: 'https://example.com/' } },
    ];
    for (const event of senders) {
      const result = await call(event, 'runs.list', {});
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('invalid_request');
    }
    expect(host.request).not.toHaveBeenCalled();
  });

  it('reports a host that failed to start as unavailable', async () => {
    const { window, contents, mainFrame } = fakeWindow();
    const failed = Promise.reject(new Error('disk full'));
    bindContractIpc(failed, window as never);
    const result = await handlers.get('cvb:call')!({ sender: contents, senderFrame: mainFrame }, 'runs.list', {});
    expect(result).toEqual({ ok: false, error: { code: 'unavailable', message: 'the workbench could not start: disk full' } });
  });

  it('forwards events to the window and unbinds everything when the window closes', async () => {
    const { window, sent } = fakeWindow();
    const { host, listeners } = fakeHost();
    bindContractIpc(Promise.resolve(host), window as never);
    await Promise.resolve();
    await Promise.resolve();
    for (const listener of listeners) listener(statusEvent);
    expect(sent).toEqual([['cvb:event', statusEvent]]);

    window.emit('closed');
    expect(listeners.size).toBe(0);
    expect(handlers.has('cvb:call')).toBe(false);
    expect(handlers.has('cvb:pick-folder')).toBe(false);
  });

  it('opens the folder dialog for the app page only', async () => {
    const { window, contents, mainFrame } = fakeWindow();
    bindContractIpc(Promise.resolve(fakeHost().host), window as never);
    const pick = handlers.get('cvb:pick-folder')! as unknown as (event: unknown) => Promise<string | null>;
    showOpenDialog.mockClear();
    expect(await pick({ sender: { id: 4 }, senderFrame: mainFrame })).toBeNull();
    expect(await pick({ sender: contents, senderFrame: { ...mainFrame, url: 'https://example.com/' } })).toBeNull();
    expect(showOpenDialog).not.toHaveBeenCalled();
    expect(await pick({ sender: contents, senderFrame: mainFrame })).toBe('/home/me/photos');
    showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    expect(await pick({ sender: contents, senderFrame: mainFrame })).toBeNull();
  });
});

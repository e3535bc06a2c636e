/**
 * The contract over Electron IPC: one invoke channel for requests, one send channel for events.
 * Requests are accepted only from the main window's main frame showing the app's own page; the
 * payload then goes through `host.request`, which validates it against the contract.
 */
import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNEL, type EventMessage, type Result } from '../contract';
import type { ContractHost } from '../core/host';
import { senderRejection } from './policy';

/**
 * Binds the contract to `window`. `host` may still be starting: calls wait for it, and fail with
 * an `unavailable` error value if it could not start. Returns the function that unbinds; closing
 * the window unbinds too.
 */
export function bindContractIpc(host: Promise<ContractHost>, window: BrowserWindow): () => void {
  const contents = window.webContents;
  let bound = true;
  let unsubscribe: (() => void) | null = null;

  const rejectionOf = (event: IpcMainInvokeEvent): string | null => {
    const mainFrame = contents.isDestroyed() ? null : contents.mainFrame;
    const fromMainWindow = !contents.isDestroyed() && event.sender.id === contents.id;
    return fromMainWindow ? senderRejection(event.senderFrame, mainFrame) : 'calls are accepted only from the main window';
  };

  const handleCall = async (event: IpcMainInvokeEvent, method: unknown, params: unknown): Promise<Result<unknown>> => {
    const rejection = rejectionOf(event);
    if (rejection !== null) {
      console.warn(`[ipc] refused ${typeof method === 'string' ? method : 'a call'}: ${rejection}`);
      return { ok: false, error: { code: 'invalid_request', message: `refused: ${rejection}` } };
    }
    let ready: ContractHost;
    try {
      ready = await host;
    } catch (error) {
      return { ok: false, error: { code: 'unavailable', message: `the workbench could not start: ${messageOf(error)}` } };
    }
    try {
      return await ready.request(method, params);
    } catch (error) {
      // host.request promises never to throw; a bug there must still reach the page as a value.
      return { ok: false, error: { code: 'internal', message: messageOf(error) } };
    }
  };

  const forwardEvent = (message: EventMessage): void => {
    if (!contents.isDestroyed()) contents.send(IPC_CHANNEL.event, message);
  };

  /** The folder dialog of the Datasets screen; only the main window's page may open it. */
  const handlePickFolder = async (event: IpcMainInvokeEvent): Promise<string | null> => {
    if (rejectionOf(event) !== null || contents.isDestroyed()) return null;
    const result = await dialog.showOpenDialog(window, { properties: ['openDirectory'] });
    return result.canceled ? null : (result.filePaths[0] ?? null);
  };

  ipcMain.handle(IPC_CHANNEL.call, handleCall);
  ipcMain.handle(IPC_CHANNEL.pickFolder, handlePickFolder);
  host.then(
    (ready) => {
      if (bound) unsubscribe = ready.onEvent(forwardEvent);
    },
    () => undefined, // reported by the caller that started the host, and to every call above
  );

  const unbind = (): void => {
    if (!bound) return;
    bound = false;
    unsubscribe?.();
    ipcMain.removeHandler(IPC_CHANNEL.call);
    ipcMain.removeHandler(IPC_CHANNEL.pickFolder);
  };
  window.once('closed', unbind);
  return unbind;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The bridge the page sees as `window.cvb`: exactly the ContractClient interface, nothing more.
 * ipcRenderer itself and the IpcRendererEvent never reach the page. This script runs sandboxed,
 * so it imports only `electron` at run time; the contract contributes types alone.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { ContractClient, DesktopFilesBridge, EventMessage, IPC_CHANNEL } from '../contract';

// Literal types tie these to the contract's IPC_CHANNEL without bundling the contract (and zod).
const CALL_CHANNEL: typeof IPC_CHANNEL.call = 'cvb:call';
const EVENT_CHANNEL: typeof IPC_CHANNEL.event = 'cvb:event';
const PICK_FOLDER_CHANNEL: typeof IPC_CHANNEL.pickFolder = 'cvb:pick-folder';

const bridge: ContractClient = {
  call(method, params) {
    return ipcRenderer.invoke(CALL_CHANNEL, method, params);
  },
  on(listener) {
    if (typeof listener !== 'function') throw new TypeError('cvb.on expects a function');
    const relay = (_event: IpcRendererEvent, message: EventMessage): void => listener(message);
    ipcRenderer.on(EVENT_CHANNEL, relay);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, relay);
    };
  },
};

contextBridge.exposeInMainWorld('cvb', bridge);

const files: DesktopFilesBridge = {
  pathForFile(file) {
    return file instanceof File ? webUtils.getPathForFile(file) : '';
  },
  pickFolder() {
    return ipcRenderer.invoke(PICK_FOLDER_CHANNEL);
  },
};

contextBridge.exposeInMainWorld('cvbFiles', files);

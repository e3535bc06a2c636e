/**
 * The bridge the page sees as `window.cvb`: exactly the ContractClient interface, nothing more.
 * ipcRenderer itself and the IpcRendererEvent never reach the page. This script runs sandboxed,
 * so it imports only `electron` at run time; the contract contributes types alone.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ContractClient, EventMessage, IPC_CHANNEL } from '../contract';

// Literal types tie these to the contract's IPC_CHANNEL without bundling the contract (and zod).
const CALL_CHANNEL: typeof IPC_CHANNEL.call = 'cvb:call';
const EVENT_CHANNEL: typeof IPC_CHANNEL.event = 'cvb:event';

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

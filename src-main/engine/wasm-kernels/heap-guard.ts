/**
 * A clear error instead of a crash when the wasm heap is full. WebAssembly here is 32-bit: the
 * tfjs-backend-wasm module can grow to 4 GiB and no further. When a tensor no longer fits,
 * emscripten's malloc returns 0 and the backend writes through it, or an allocation inside the
 * C++ kernels (XNNPACK operators, scratch buffers) aborts the module ("RuntimeError: Aborted()",
 * "memory access out of bounds"); the backend is unusable after that. DenseNet-BC-100 (k = 12) at
 * 32×32 needs about 3.2 GB of heap at batch 16 and does not fit at batch 24 or more.
 *
 * Near the top of the address space emscripten's malloc itself traps ("memory access out of
 * bounds") instead of returning 0, so the guard decides before calling it. It wraps the module's
 * malloc as the backend calls it for every tensor: once the heap has grown so far that an
 * allocation might have to grow it into the last {@link HEADROOM_BYTES} (left for the C++
 * kernels' own allocations), or if malloc returns 0, it throws a {@link WasmHeapExhaustedError}
 * before anything is written. The engine's scopes then free the step's tensors and the process
 * carries on. (A heap that once grew that far stays that large, and the guard then refuses
 * allocations the free space inside it could have served: such a run is at the edge anyway.)
 */

/** What tfjs-backend-wasm 4.22's module reports as its maximum heap (getHeapMax): 4 GiB − 64 KiB. */
export const WASM_HEAP_MAX_BYTES = 4294901760;
export const HEADROOM_BYTES = 128 * 2 ** 20;

export class WasmHeapExhaustedError extends Error {
  constructor(
    readonly requestedBytes: number,
    readonly heapBytes: number,
  ) {
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    super(
      `out of memory on the wasm backend: a ${mb(requestedBytes)} tensor does not fit in the ${mb(WASM_HEAP_MAX_BYTES)} ` +
        `that 32-bit WebAssembly can address (the heap has grown to ${mb(heapBytes)}). ` +
        'Use a smaller batch size, input size or model, or the tensorflow backend (@tensorflow/tfjs-node), which has no such limit.',
    );
    this.name = 'WasmHeapExhaustedError';
  }
}

interface WasmModule {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
  /** The instance's exports; `memory` is the live WebAssembly.Memory (HEAPU8 can lag behind it). */
  asm?: { memory?: { buffer: ArrayBufferLike }; malloc?: (bytes: number) => number; free?: (pointer: number) => void };
}

const guarded = new WeakSet<object>();

/** Installs the guard on a wasm backend instance (idempotent). */
export function guardWasmHeap(backend: unknown): void {
  const wasm = (backend as { wasm?: WasmModule } | null)?.wasm;
  if (wasm == null || guarded.has(wasm)) return;
  // The module's _malloc starts as a stub that replaces itself with the export on its first call
  // (which would drop a wrapper around the stub), so wrap the export itself.
  const malloc = wasm.asm?.malloc ?? wasm._malloc.bind(wasm);
  const free = wasm.asm?.free ?? wasm._free.bind(wasm);
  wasm._malloc = (bytes: number): number => {
    const heapBytes = wasm.asm?.memory?.buffer.byteLength ?? wasm.HEAPU8.length;
    if (heapBytes + bytes > WASM_HEAP_MAX_BYTES - HEADROOM_BYTES) {
      throw new WasmHeapExhaustedError(bytes, heapBytes);
    }
    const pointer = malloc(bytes);
    const start = pointer >>> 0;
    if ((start === 0 && bytes > 0) || start + bytes > WASM_HEAP_MAX_BYTES - HEADROOM_BYTES) {
      if (start !== 0) free(pointer);
      throw new WasmHeapExhaustedError(bytes, wasm.asm?.memory?.buffer.byteLength ?? wasm.HEAPU8.length);
    }
    return pointer;
  };
  guarded.add(wasm);
}

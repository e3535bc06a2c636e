/** Polls `probe` every 50 ms until it returns something truthy, or fails after `timeoutMs`. */
export function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 150_000, what = 'a condition'): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      let value: T | undefined | null | false;
      try {
        value = probe();
      } catch {
        value = undefined;
      }
      if (value) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** A clock ref that ticks while `active` is true, for durations of runs still going. */
import { onScopeDispose, ref, watch, type Ref } from 'vue';

export function useNow(active: Ref<boolean>, intervalMs = 1000): Ref<number> {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | null = null;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  watch(
    active,
    (on) => {
      stop();
      if (on) timer = setInterval(() => (now.value = Date.now()), intervalMs);
    },
    { immediate: true },
  );
  onScopeDispose(stop);
  return now;
}

/** The OS light/dark preference as a ref, for the parts CSS cannot reach (canvas charts). */
import { onScopeDispose, ref, type Ref } from 'vue';

export type ColorScheme = 'light' | 'dark';

export function useColorScheme(): Ref<ColorScheme> {
  const query = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const scheme = ref<ColorScheme>(query?.matches ? 'dark' : 'light');
  if (query) {
    const onChange = (event: MediaQueryListEvent) => {
      scheme.value = event.matches ? 'dark' : 'light';
    };
    query.addEventListener('change', onChange);
    onScopeDispose(() => query.removeEventListener('change', onChange));
  }
  return scheme;
}

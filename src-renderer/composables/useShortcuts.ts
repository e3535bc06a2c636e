/**
 * The keyboard shortcuts, one table for the handler and for the help tooltip:
 * Ctrl/⌘+Enter start, Escape stop (Train) or close a run (Runs), 1/2 switch screens, ? help.
 */
import { onBeforeUnmount, onMounted, ref } from 'vue';
import { SCREENS } from '../stores/navigation';
import { useNavigationStore } from '../stores/navigation';
import { useTrainingStore } from '../stores/training';

export interface ShortcutEntry {
  keys: string[];
  labelKey: string;
}

function isMac(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/i.test(navigator.platform || navigator.userAgent);
}

export function shortcutList(): ShortcutEntry[] {
  const mod = isMac() ? '⌘' : 'Ctrl';
  return [
    { keys: [mod, 'Enter'], labelKey: 'shortcuts.start' },
    { keys: ['Esc'], labelKey: 'shortcuts.escape' },
    ...SCREENS.map((screen, index) => ({ keys: [String(index + 1)], labelKey: `shortcuts.${screen}` })),
    { keys: ['?'], labelKey: 'shortcuts.help' },
  ];
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function useShortcuts() {
  const navigation = useNavigationStore();
  const training = useTrainingStore();
  const helpOpen = ref(false);

  function onKeydown(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.isComposing) return;
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      if (navigation.screen !== 'train') return;
      event.preventDefault();
      training.startOrReveal();
      return;
    }
    if (event.key === 'Escape') {
      if (helpOpen.value) {
        helpOpen.value = false;
      } else if (navigation.screen === 'train' && training.canStop) {
        void training.stop();
      } else if (navigation.screen === 'runs' && navigation.runId) {
        navigation.closeRun();
      } else {
        return;
      }
      event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    const index = Number(event.key) - 1;
    if (Number.isInteger(index) && index >= 0 && index < SCREENS.length) {
      event.preventDefault();
      navigation.go(SCREENS[index]);
    } else if (event.key === '?') {
      event.preventDefault();
      helpOpen.value = !helpOpen.value;
    }
  }

  onMounted(() => window.addEventListener('keydown', onKeydown));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown));
  return { helpOpen, onKeydown };
}

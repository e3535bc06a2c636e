/**
 * Which screen is showing, mirrored in the location hash (`#/train`, `#/runs`, `#/runs/<id>`) so a
 * reload or the back button lands where the user was. No router needed for a handful of screens.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { EXPERIMENT_ID_PATTERN, RUN_ID_PATTERN } from '../../src-main/contract';

/** Screens in sidebar order; the digit keys 1… follow it. */
export const SCREENS = ['train', 'runs', 'models', 'datasets', 'inference', 'compare', 'experiments'] as const;
export type Screen = (typeof SCREENS)[number];

export const useNavigationStore = defineStore('navigation', () => {
  const screen = ref<Screen>('train');
  /** The run open in detail on the Runs screen. */
  const runId = ref<string | null>(null);
  /** The experiment open in detail on the Experiments screen. */
  const experimentId = ref<string | null>(null);

  function toHash(): string {
    if (screen.value === 'runs' && runId.value) return `#/runs/${runId.value}`;
    if (screen.value === 'experiments' && experimentId.value) return `#/experiments/${experimentId.value}`;
    return `#/${screen.value}`;
  }

  function writeHash(): void {
    const hash = toHash();
    if (window.location.hash !== hash) window.history.pushState(null, '', hash);
  }

  /** A screen from the sidebar or a shortcut: its top level (the Runs list, not a run's detail). */
  function go(next: Screen): void {
    screen.value = next;
    runId.value = null;
    experimentId.value = null;
    writeHash();
  }

  function openExperiment(id: string): void {
    screen.value = 'experiments';
    experimentId.value = id;
    writeHash();
  }

  function closeExperiment(): void {
    experimentId.value = null;
    writeHash();
  }

  function openRun(id: string): void {
    screen.value = 'runs';
    runId.value = id;
    writeHash();
  }

  function closeRun(): void {
    runId.value = null;
    writeHash();
  }

  function readHash(hash = window.location.hash): void {
    const [name, id] = hash.replace(/^#\/?/, '').split('/');
    screen.value = (SCREENS as readonly string[]).includes(name) ? (name as Screen) : 'train';
    runId.value = screen.value === 'runs' && id && RUN_ID_PATTERN.test(id) ? id : null;
    experimentId.value = screen.value === 'experiments' && id && EXPERIMENT_ID_PATTERN.test(id) ? id : null;
  }

  // Start where the address points, so a reload does not flash the default screen first.
  if (typeof window !== 'undefined') readHash();

  return { screen, runId, experimentId, go, openRun, closeRun, openExperiment, closeExperiment, readHash };
});

// @vitest-environment jsdom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useNavigationStore } from '../../../src-renderer/stores/navigation';

describe('navigation', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    window.location.hash = '';
  });

  it('opens a run in the Runs screen, and the sidebar entry goes back to the list', () => {
    const navigation = useNavigationStore();
    navigation.openRun('20261128-041516-resnet20-6bafff');
    expect(window.location.hash).toBe('#/runs/20261128-041516-resnet20-6bafff');
    navigation.go('runs');
    expect(navigation.runId).toBeNull();
    expect(window.location.hash).toBe('#/runs');
  });
});

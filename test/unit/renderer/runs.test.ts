// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { describe, expect, it } from 'vitest';
import RunsTable from '../../../src-renderer/components/runs/RunsTable.vue';
import { createAppI18n } from '../../../src-renderer/i18n';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { sortRuns, useRunsStore } from '../../../src-renderer/stores/runs';
import { detail, settle, standardClient, stepLine, summary } from './fake-client';

const RUNS = [
  summary({ id: 'b', model: 'vgg11', status: 'completed', createdAt: '2025-01-02T00:00:00Z', final: { trainLoss: 0.3, trainAccuracy: 0.9, valLoss: 0.4, valAccuracy: 0.85 } }),
  summary({ id: 'a', model: 'alexnet', status: 'failed', createdAt: '2025-01-03T00:00:00Z', error: 'boom' }),
  summary({ id: 'c', model: 'resnet18', status: 'stopped', createdAt: '2025-01-01T00:00:00Z', final: { trainLoss: 0.5, trainAccuracy: 0.7, valLoss: 0.6, valAccuracy: 0.65 } }),
];

describe('runs list', () => {
  it('sorts by any column, runs without a value last in both directions', () => {
    const ids = (key: Parameters<typeof sortRuns>[1], direction: 'asc' | 'desc') => sortRuns(RUNS, key, direction).map((run) => run.id);
    expect(ids('model', 'asc')).toEqual(['a', 'c', 'b']);
    expect(ids('model', 'desc')).toEqual(['b', 'c', 'a']);
    expect(ids('createdAt', 'desc')).toEqual(['a', 'b', 'c']);
    expect(ids('valAccuracy', 'desc')).toEqual(['b', 'c', 'a']);
    expect(ids('valAccuracy', 'asc')).toEqual(['c', 'b', 'a']);
  });

  it('toggles the direction when the same column is picked again', () => {
    setActivePinia(createPinia());
    const runs = useRunsStore();
    runs.runs = RUNS;
    expect(runs.sortedRuns.map((run) => run.id)).toEqual(['a', 'b', 'c']);
    runs.setSort('model');
    expect([runs.sortKey, runs.sortDirection]).toEqual(['model', 'asc']);
    runs.setSort('model');
    expect(runs.sortedRuns.map((run) => run.id)).toEqual(['b', 'c', 'a']);
  });

  it('renders a row per run with its status, and sorts on a header click', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    useConnectionStore().attach(standardClient().handle('runs.list', () => ({ ok: true, value: RUNS })));
    const runs = useRunsStore();
    await runs.refresh();
    const wrapper = mount(RunsTable, { global: { plugins: [pinia, createAppI18n('en')] } });

    expect(wrapper.get('[data-testid="run-row-a"]').attributes('data-status')).toBe('failed');
    expect(wrapper.get('[data-testid="run-row-b"]').text()).toContain('90.0%');
    await wrapper.get('[data-testid="sort-model"]').trigger('click');
    const order = wrapper.findAll('[data-testid^="run-row-"]').map((row) => row.attributes('data-testid'));
    expect(order).toEqual(['run-row-a', 'run-row-c', 'run-row-b']);

    await wrapper.get('[data-testid="run-row-c"]').trigger('click');
    expect(wrapper.emitted('open')).toEqual([['c']]);
  });

  it('refreshes on run.status and keeps an open running run live', async () => {
    setActivePinia(createPinia());
    const client = standardClient()
      .handle('runs.list', () => ({ ok: true, value: RUNS }))
      .handle('runs.get', () => ({ ok: true, value: detail({ metrics: [stepLine(1)] }) }));
    useConnectionStore().attach(client);
    const runs = useRunsStore();
    await runs.open('run-1');
    expect(runs.detailSeries.stepLoss).toHaveLength(1);

    client.emit({ event: 'run.progress', data: { runId: 'run-1', epoch: 1, epochs: 3, step: 2, stepsPerEpoch: 5, totalSteps: 15, imagesPerSec: 1, etaSeconds: 1, metrics: [stepLine(2)] } });
    expect(runs.detailSeries.stepLoss).toHaveLength(2);

    client.emit({ event: 'run.status', data: { runId: 'other', status: 'completed', error: null } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await settle();
    expect(client.callsOf('runs.list')).toHaveLength(1);
    expect(runs.runs).toHaveLength(3);
  });
});

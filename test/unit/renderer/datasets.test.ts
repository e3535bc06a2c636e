// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CatalogEntryInfo, DatasetDetail, DatasetImportResult, DatasetInfo, Result } from '../../../src-main/contract';
import { CATALOG as HOST_CATALOG } from '../../../src-main/data/catalog-entries';
import { createAppI18n } from '../../../src-renderer/i18n';
import datasetsEn from '../../../src-renderer/i18n/datasets.en';
import datasetsZhCN from '../../../src-renderer/i18n/datasets.zh-CN';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { defaultImportForm, useDatasetImportStore, validateImportForm } from '../../../src-renderer/stores/dataset-import';
import { useSystemStore } from '../../../src-renderer/stores/system';
import DatasetsView from '../../../src-renderer/views/DatasetsView.vue';
import { DATASETS, settle, standardClient, type FakeClient } from './fake-client';

const CLASSES = ['cat', 'dog'];
const PNG = 'iVBORw0KGgo=';

const FLOWERS: DatasetInfo = {
  id: 'flowers',
  name: 'Flowers',
  classes: CLASSES,
  input: [64, 64, 3],
  trainCount: 90,
  testCount: 10,
  valCount: 10,
  source: 'image folder /data/flowers',
  bundled: false,
  createdAt: '2025-02-01T10:00:00.000Z',
};
const BUNDLED: DatasetInfo = { ...DATASETS[0], bundled: true };

function detailOf(info: DatasetInfo, overrides: Partial<DatasetDetail> = {}): DatasetDetail {
  return {
    ...info,
    classCounts: { train: [50, 40], val: [5, 5], test: [6, 4] },
    normalization: { mean: [0.5, 0.4, 0.3], std: [0.25, 0.24, 0.23] },
    resize: 'squash',
    bytes: 1_234_567,
    report: { skipped: [{ path: 'cat/broken.jpg', reason: 'truncated JPEG' }], warnings: ['3 CMYK images converted'], scanned: 111, imported: 110, durationMs: 2500 },
    ...overrides,
  };
}

const CATALOG: CatalogEntryInfo[] = [
  { name: 'mnist', title: 'MNIST', classCount: 10, input: [28, 28, 1], trainCount: 60000, testCount: 10000, downloadBytes: 11_594_722, licence: 'CC BY-SA 3.0', downloaded: false, imported: [] },
  { name: 'cifar-10', title: 'CIFAR-10', classCount: 10, input: [32, 32, 3], trainCount: 50000, testCount: 10000, downloadBytes: 170_052_171, licence: 'free', downloaded: true, imported: ['cifar-10'] },
];

const RESULT: DatasetImportResult = {
  id: 'pets',
  name: 'Pets',
  classes: CLASSES,
  input: [64, 64, 3],
  counts: { train: { cat: 40, dog: 38 }, val: { cat: 5, dog: 4 }, test: {}, },
  skipped: [
    { path: 'cat/.DS_Store', reason: 'hidden file' },
    { path: 'dog/empty.png', reason: 'empty file' },
  ],
  warnings: ['1 image with 16-bit depth scaled to 8 bits'],
  source: 'image folder /data/pets',
  durationMs: 1500,
};

/** A host with two datasets (one bundled), a catalog, samples and previews. */
function datasetsClient(list: DatasetInfo[] = [BUNDLED, FLOWERS]): FakeClient {
  let current = list;
  const client = standardClient()
    .handle('datasets.list', () => ({ ok: true, value: current }))
    .handle('datasets.catalog', () => ({ ok: true, value: CATALOG }))
    .handle('datasets.get', (params) => {
      const found = current.find((d) => d.id === (params as { id: string }).id);
      return found ? { ok: true, value: detailOf(found, found.bundled ? { report: null } : {}) } : { ok: false, error: { code: 'not_found', message: 'no such dataset' } };
    })
    .handle('datasets.samples', () => ({
      ok: true,
      value: [
        { label: 0, index: 3, png: PNG },
        { label: 0, index: 7, png: PNG },
        { label: 1, index: 12, png: PNG },
      ],
    }))
    .handle('datasets.previewAugmentation', (params) => ({ ok: true, value: Array.from({ length: 1 + (params as { count: number }).count }, () => PNG) }))
    .handle('datasets.delete', (params) => {
      const id = (params as { id: string }).id;
      current = current.filter((d) => d.id !== id);
      return { ok: true, value: { id } };
    })
    .handle('datasets.cancelImport', () => ({ ok: true, value: { cancelled: true } }));
  return Object.assign(client, {
    setList(next: DatasetInfo[]) {
      current = next;
    },
  });
}

async function mountView(client: FakeClient, locale: 'en' | 'zh-CN' = 'en') {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnectionStore().attach(client);
  const system = useSystemStore();
  await system.load();
  const i18n = createAppI18n(locale);
  // The lead merges these under `datasets` in en.ts and zh-CN.ts; merging again is harmless.
  i18n.global.mergeLocaleMessage('en', { datasets: datasetsEn } as never);
  i18n.global.mergeLocaleMessage('zh-CN', { datasets: datasetsZhCN } as never);
  const wrapper = mount(DatasetsView, { global: { plugins: [pinia, i18n] }, attachTo: document.body });
  await settle();
  return { wrapper, store: useDatasetImportStore(), system };
}

/** An import the test finishes by hand, as the host would after its events. */
function pendingImport(client: FakeClient) {
  let finish: (result: Result<DatasetImportResult>) => void = () => {};
  client.handle('datasets.import', () => new Promise((resolve) => (finish = resolve)));
  return { finish: (result: Result<DatasetImportResult>) => finish(result) };
}

function importId(client: FakeClient): string {
  return (client.callsOf('datasets.import')[0] as { importId: string }).importId;
}

describe('Datasets screen', () => {
  beforeEach(() => {
    // jsdom has no 2D canvas: Chart.js then keeps a shell that cannot draw, which the chart tolerates.
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
    delete window.cvbFiles;
    document.body.innerHTML = '';
  });

  it('lists the datasets with the bundled one marked, and the catalog as cards', async () => {
    const { wrapper } = await mountView(datasetsClient());
    const list = wrapper.get('[data-testid="datasets-list"]');
    expect(list.attributes('data-count')).toBe('2');
    const bundled = wrapper.get('[data-testid="dataset-row-fashion-mnist-subset"]');
    expect(bundled.attributes('data-bundled')).toBe('true');
    expect(bundled.text()).toContain('Bundled');
    const flowers = wrapper.get('[data-testid="dataset-row-flowers"]');
    expect(flowers.text()).toContain('Flowers');
    expect(flowers.text()).toContain('64×64×3');
    expect(flowers.text()).not.toContain('Bundled');

    expect(wrapper.get('[data-testid="catalog-card-mnist"]').text()).toContain('Download and import');
    expect(wrapper.get('[data-testid="catalog-card-mnist"]').text()).toContain('11.1 MB');
    const cifar = wrapper.get('[data-testid="catalog-card-cifar-10"]');
    expect(cifar.attributes('data-downloaded')).toBe('true');
    expect(cifar.text()).toContain('Import again');
    // Without the desktop bridge the path is the server's: the screen says so.
    expect(wrapper.get('[data-testid="dataset-import-where"]').text()).toContain('machine running the workbench server');
  });

  it('opens a dataset: class chart, samples per class, normalization, report; an augmentation preview on a click', async () => {
    const client = datasetsClient();
    const { wrapper } = await mountView(client);
    await wrapper.get('[data-testid="dataset-row-flowers"]').trigger('click');
    await settle();

    const detail = wrapper.get('[data-testid="dataset-detail"]');
    expect(detail.attributes('data-loaded')).toBe('true');
    const chart = wrapper.get('[data-testid="dataset-classes-chart"]');
    expect(chart.attributes('data-classes')).toBe('2');
    expect(chart.attributes('data-splits')).toBe('train,val,test');
    expect(wrapper.findAll('[data-testid="class-count-row"]').map((row) => row.text())).toEqual(['cat5056', 'dog4054']);

    const samples = wrapper.get('[data-testid="dataset-samples"]');
    expect(samples.attributes('data-count')).toBe('3');
    expect(wrapper.get('[data-testid="samples-class-0"]').text()).toContain('cat');
    expect(wrapper.get('[data-testid="samples-class-0"]').findAll('img')).toHaveLength(2);
    expect(wrapper.get('[data-testid="samples-class-1"]').findAll('img')).toHaveLength(1);
    expect(client.callsOf('datasets.samples')).toEqual([{ id: 'flowers', split: 'train', seed: 0, perClass: 8 }]);

    expect(wrapper.get('[data-testid="dataset-normalization"]').text()).toContain('0.5000');
    const report = wrapper.get('[data-testid="dataset-report"]');
    expect(report.text()).toContain('Imported 110 of 111, in 2.5 s');
    expect(report.text()).toContain('cat/broken.jpg');
    expect(report.text()).toContain('truncated JPEG');
    expect(report.text()).toContain('3 CMYK images converted');

    await wrapper.get('[data-testid="samples-class-1"] button').trigger('click');
    await settle();
    const [preview] = client.callsOf('datasets.previewAugmentation') as Array<Record<string, unknown>>;
    expect(preview).toMatchObject({ id: 'flowers', split: 'train', index: 12, count: 11, augment: { horizontalFlip: true, randomCrop: { padding: 4 } } });
    expect(wrapper.get('[data-testid="augment-preview"]').attributes('data-count')).toBe('12');
    expect(wrapper.get('[data-testid="augment-preview"]').text()).toContain('Original');

    await wrapper.get('[data-testid="augment-flip"]').setValue(false);
    await wrapper.get('[data-testid="augment-jitter"]').setValue(true);
    await wrapper.get('[data-testid="augment-options"]').trigger('submit');
    await settle();
    const second = client.callsOf('datasets.previewAugmentation')[1] as Record<string, unknown>;
    expect(second.augment).toEqual({ randomCrop: { padding: 4 }, colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4 } });
    expect(second.seed).not.toBe(preview.seed);
  });

  it('shows a bad augmentation value under its own input and keeps the preview button off until it is fixed', async () => {
    const client = datasetsClient();
    const { wrapper } = await mountView(client);
    await wrapper.get('[data-testid="dataset-row-flowers"]').trigger('click');
    await settle();

    await wrapper.get('[data-testid="augment-padding"]').setValue('100');
    await wrapper.get('[data-testid="augment-jitter"]').setValue(true);
    await wrapper.get('[data-testid="augment-contrast"]').setValue('2');
    expect(wrapper.get('[data-testid="augment-error-padding"]').text()).toBe('Must be at most 64');
    expect(wrapper.get('[data-testid="augment-padding"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="augment-error-contrast"]').text()).toBe('Must be at most 1');
    expect(wrapper.get('[data-testid="augment-error-brightness"]').text()).toBe('');
    expect(wrapper.get('[data-testid="augment-run"]').attributes('disabled')).toBeDefined();
    await wrapper.get('[data-testid="augment-options"]').trigger('submit');
    await settle();
    expect(client.callsOf('datasets.previewAugmentation')).toEqual([]);

    await wrapper.get('[data-testid="augment-padding"]').setValue('8');
    await wrapper.get('[data-testid="augment-contrast"]').setValue('0.2');
    expect(wrapper.get('[data-testid="augment-error-padding"]').text()).toBe('');
    expect(wrapper.get('[data-testid="augment-run"]').attributes('disabled')).toBeUndefined();
    await wrapper.get('[data-testid="augment-options"]').trigger('submit');
    await settle();
    expect((client.callsOf('datasets.previewAugmentation')[0] as Record<string, unknown>).augment).toMatchObject({ randomCrop: { padding: 8 }, colorJitter: { contrast: 0.2 } });
  });

  it('shows a bad size next to its field and calls nothing', async () => {
    const client = datasetsClient();
    const { wrapper } = await mountView(client);
    // An untouched empty path waits quietly (the button is disabled), without an error yet.
    expect(wrapper.get('[data-testid="import-error-path"]').text()).toBe('');
    expect(wrapper.get('[data-testid="dataset-import-button"]').attributes('disabled')).toBeDefined();
    await wrapper.get('[data-testid="dataset-import-path"]').setValue('/data/pets');
    await wrapper.get('[data-testid="import-field-size"]').setValue('4');
    expect(wrapper.get('[data-testid="import-error-size"]').text()).toBe('Must be at least 8');
    expect(wrapper.get('[data-testid="import-field-size"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="import-error-path"]').text()).toBe('');
    const button = wrapper.get('[data-testid="dataset-import-button"]');
    expect(button.attributes('disabled')).toBeDefined();

    await wrapper.get('[data-testid="import-field-size"]').setValue('32.5');
    expect(wrapper.get('[data-testid="import-error-size"]').text()).toBe('Must be a whole number');
    await wrapper.get('[data-testid="import-field-validationFraction"]').setValue('0.9');
    expect(wrapper.get('[data-testid="import-error-validationFraction"]').text()).toBe('Must be at most 0.5');

    await wrapper.get('form').trigger('submit');
    expect(await useDatasetImportStore().startImport()).toBeNull();
    await settle();
    expect(client.callsOf('datasets.import')).toHaveLength(0);

    await wrapper.get('[data-testid="import-field-size"]').setValue('32');
    await wrapper.get('[data-testid="import-field-validationFraction"]').setValue('0.2');
    await wrapper.get('[data-testid="dataset-import-path"]').setValue('');
    expect(wrapper.get('[data-testid="import-error-path"]').text()).toBe('Choose a folder or file');
    expect(wrapper.get('[data-testid="import-error-size"]').text()).toBe('');
  });

  it('builds the request the contract expects from the form', () => {
    // The form opens with a 10% test split, as the host defaults to; 0.2 here is the user's choice.
    expect(defaultImportForm().testFraction).toBe(0.1);
    const checked = validateImportForm({ ...defaultImportForm(), path: ' /data/pets ', name: '  Pets ', size: '96', resize: 'pad', channels: '1', background: 'black', testFraction: 0.2 });
    expect(checked.ok).toBe(true);
    expect(checked.ok && checked.request).toEqual({
      source: { kind: 'path', path: '/data/pets' },
      name: 'Pets',
      size: 96,
      resize: 'pad',
      channels: 1,
      background: 'black',
      validationFraction: 0.1,
      testFraction: 0.2,
      seed: 42,
    });
  });

  it('moves the progress bar with import events, cancels, and says it was cancelled', async () => {
    const client = datasetsClient();
    const pending = pendingImport(client);
    const { wrapper } = await mountView(client);
    await wrapper.get('[data-testid="dataset-import-path"]').setValue('/data/pets');
    await wrapper.get('[data-testid="dataset-import-button"]').trigger('click');
    await settle();
    const id = importId(client);
    expect(client.callsOf('datasets.import')[0]).toMatchObject({ source: { kind: 'path', path: '/data/pets' }, validationFraction: 0.1, testFraction: 0.1 });
    expect(wrapper.get('[data-testid="dataset-import-button"]').attributes('disabled')).toBeDefined();

    const progress = () => wrapper.get('[data-testid="dataset-import-progress"]');
    expect(progress().attributes('data-phase')).toBe('starting');
    client.emit({ event: 'dataset.import.progress', data: { importId: id, phase: 'decoding', done: 25, total: 100, skipped: 1 } });
    await flushPromises();
    expect(progress().attributes('data-done')).toBe('25');
    expect(progress().get('progress').attributes('value')).toBe('25');
    expect(progress().text()).toContain('Decoding');
    expect(progress().text()).toContain('1 skipped');

    client.emit({ event: 'dataset.import.progress', data: { importId: id, phase: 'writing', done: 80, total: 100, skipped: 2 } });
    // Another window's import does not move this bar.
    client.emit({ event: 'dataset.import.progress', data: { importId: 'someone-else', phase: 'writing', done: 99, total: 100, skipped: 0 } });
    await flushPromises();
    expect(progress().attributes('data-phase')).toBe('writing');
    expect(progress().get('progress').attributes('value')).toBe('80');

    await wrapper.get('[data-testid="dataset-import-cancel"]').trigger('click');
    await settle();
    expect(client.callsOf('datasets.cancelImport')).toEqual([{ importId: id }]);
    expect(wrapper.get('[data-testid="dataset-import-cancel"]').text()).toBe('Cancelling…');

    client.emit({ event: 'dataset.import.ended', data: { importId: id, status: 'cancelled', datasetId: null, error: 'the import was cancelled' } });
    pending.finish({ ok: false, error: { code: 'conflict', message: 'the import was cancelled' } });
    await settle();
    expect(wrapper.find('[data-testid="dataset-import-progress"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="dataset-import-job"]').attributes('data-status')).toBe('cancelled');
    expect(wrapper.get('[data-testid="dataset-import-job"]').text()).toContain('cancelled');
    expect(wrapper.get('[data-testid="dataset-import-button"]').attributes('disabled')).toBeUndefined();
  });

  it('refreshes the list and the Train form datasets when an import ends, and shows the report', async () => {
    const client = datasetsClient() as FakeClient & { setList(next: DatasetInfo[]): void };
    const pending = pendingImport(client);
    const { wrapper, system } = await mountView(client);
    expect(system.datasets.map((d) => d.id)).toEqual(['fashion-mnist-subset', 'flowers']);
    await wrapper.get('[data-testid="dataset-import-path"]').setValue('/data/pets');
    await wrapper.get('[data-testid="dataset-import-button"]').trigger('click');
    await settle();
    const id = importId(client);
    const listCalls = client.callsOf('datasets.list').length;

    const pets: DatasetInfo = { ...FLOWERS, id: 'pets', name: 'Pets' };
    client.setList([BUNDLED, FLOWERS, pets]);
    client.emit({ event: 'dataset.import.ended', data: { importId: id, status: 'completed', datasetId: 'pets', error: null } });
    pending.finish({ ok: true, value: RESULT });
    await settle();

    expect(client.callsOf('datasets.list').length).toBe(listCalls + 1);
    expect(wrapper.get('[data-testid="datasets-list"]').attributes('data-count')).toBe('3');
    expect(wrapper.find('[data-testid="dataset-row-pets"]').exists()).toBe(true);
    expect(system.datasets.map((d) => d.id)).toEqual(['fashion-mnist-subset', 'flowers', 'pets']);

    const job = wrapper.get('[data-testid="dataset-import-job"]');
    expect(job.attributes('data-status')).toBe('completed');
    const report = wrapper.get('[data-testid="dataset-report"]');
    expect(report.attributes('data-skipped')).toBe('2');
    expect(report.text()).toContain('2 classes, 78 train, 9 val. and 0 test images, in 1.5 s');
    expect(report.text()).toContain('cat/.DS_Store');
    expect(report.text()).toContain('hidden file');
    expect(report.text()).toContain('16-bit depth');

    await wrapper.get('[data-testid="dataset-import-open"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="dataset-detail"]').attributes('data-dataset-id')).toBe('pets');
  });

  it('refreshes when an import from another window ends', async () => {
    const client = datasetsClient();
    const { store } = await mountView(client);
    const before = client.callsOf('datasets.list').length;
    client.emit({ event: 'dataset.import.ended', data: { importId: 'cli-1', status: 'completed', datasetId: 'flowers', error: null } });
    await settle();
    expect(client.callsOf('datasets.list').length).toBe(before + 1);
    expect(store.jobs).toEqual({});
  });

  it('puts a host error that names the source next to the path field', async () => {
    const client = datasetsClient().handle('datasets.import', () => ({
      ok: false,
      error: { code: 'invalid_request', field: 'source', message: 'only 1 class has usable images; at least 2 are needed' },
    }));
    const { wrapper } = await mountView(client);
    await wrapper.get('[data-testid="dataset-import-path"]').setValue('/data/one-class');
    await wrapper.get('[data-testid="dataset-import-button"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="import-error-path"]').text()).toBe('only 1 class has usable images; at least 2 are needed');
    expect(wrapper.find('[data-testid="dataset-import-error"]').exists()).toBe(false);
    await wrapper.get('[data-testid="dataset-import-path"]').setValue('/data/two-classes');
    expect(wrapper.get('[data-testid="import-error-path"]').text()).toBe('');
  });

  it('asks before deleting, then deletes and refreshes both lists', async () => {
    const client = datasetsClient();
    const { wrapper, system } = await mountView(client);
    await wrapper.get('[data-testid="dataset-row-flowers"]').trigger('click');
    await settle();

    await wrapper.get('[data-testid="dataset-delete"]').trigger('click');
    const confirm = wrapper.get('[data-testid="dataset-delete-confirm"]');
    expect(confirm.text()).toContain('Delete “Flowers”?');
    expect(confirm.text()).toContain('original images are not touched');
    expect(client.callsOf('datasets.delete')).toHaveLength(0);

    await wrapper.get('[data-testid="dataset-delete-no"]').trigger('click');
    expect(wrapper.find('[data-testid="dataset-delete-confirm"]').exists()).toBe(false);
    expect(client.callsOf('datasets.delete')).toHaveLength(0);

    await wrapper.get('[data-testid="dataset-delete"]').trigger('click');
    await wrapper.get('[data-testid="dataset-delete-yes"]').trigger('click');
    await settle();
    expect(client.callsOf('datasets.delete')).toEqual([{ id: 'flowers' }]);
    expect(wrapper.find('[data-testid="dataset-detail"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="dataset-row-flowers"]').exists()).toBe(false);
    expect(system.datasets.map((d) => d.id)).toEqual(['fashion-mnist-subset']);
  });

  it('offers no delete for a bundled dataset', async () => {
    const client = datasetsClient();
    const { wrapper } = await mountView(client);
    await wrapper.get('[data-testid="dataset-row-fashion-mnist-subset"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="dataset-delete"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="dataset-detail"]').text()).toContain('Bundled datasets have no import report.');
  });

  it('takes the path of a dropped folder when the desktop bridge knows it, and says so when it does not', async () => {
    const { wrapper, store } = await mountView(datasetsClient());
    const folder = new File([], 'pets');
    const drop = (files: File[]) => wrapper.get('[data-testid="dataset-drop-zone"]').trigger('drop', { dataTransfer: { files, dropEffect: 'none' } });

    await drop([folder]);
    expect(wrapper.get('[data-testid="dataset-drop-note"]').text()).toContain('Type its path instead');
    expect(store.form.path).toBe('');

    window.cvbFiles = { pathForFile: (file) => `/home/me/${(file as File).name}` };
    await drop([folder]);
    expect(store.form.path).toBe('/home/me/pets');
    expect((wrapper.get('[data-testid="dataset-import-path"]').element as HTMLInputElement).value).toBe('/home/me/pets');
  });

  it('downloads a catalog entry with its own progress, or imports a local copy', async () => {
    const client = datasetsClient();
    const pending = pendingImport(client);
    const { wrapper } = await mountView(client);
    await wrapper.get('[data-testid="catalog-download-mnist"]').trigger('click');
    await settle();
    const id = importId(client);
    expect(client.callsOf('datasets.import')[0]).toEqual({ source: { kind: 'catalog', name: 'mnist' }, importId: id });

    client.emit({ event: 'dataset.import.progress', data: { importId: id, phase: 'downloading', done: 5 * 1024 * 1024, total: 10 * 1024 * 1024, skipped: 0, file: 'train-images-idx3-ubyte.gz (1/4)' } });
    await flushPromises();
    const progress = wrapper.get('[data-testid="catalog-progress-mnist"]');
    expect(progress.text()).toContain('Downloading');
    expect(progress.text()).toContain('5 MB of 10 MB');
    expect(progress.text()).toContain('train-images-idx3-ubyte.gz');
    // The folder form is not busy meanwhile.
    expect(wrapper.find('[data-testid="dataset-import-progress"]').exists()).toBe(false);

    client.emit({ event: 'dataset.import.ended', data: { importId: id, status: 'failed', datasetId: null, error: 'no mirror answered' } });
    pending.finish({ ok: false, error: { code: 'unavailable', field: 'source', message: 'no mirror answered' } });
    await settle();
    expect(wrapper.get('[data-testid="catalog-error-mnist"]').text()).toContain('no mirror answered');
    expect(wrapper.get('[data-testid="catalog-error-mnist"]').text()).toContain('Import a local copy');

    client.handle('datasets.import', () => ({ ok: true, value: { ...RESULT, id: 'mnist', name: 'MNIST' } }));
    await wrapper.get('[data-testid="catalog-local-mnist"]').trigger('click');
    await wrapper.get('[data-testid="catalog-local-path-mnist"]').setValue('/media/usb/mnist');
    await wrapper.get('[data-testid="catalog-card-mnist"] form').trigger('submit');
    await settle();
    expect(client.callsOf('datasets.import')[1]).toMatchObject({ source: { kind: 'catalog', name: 'mnist', localPath: '/media/usb/mnist' } });
  });

  it('has the same message keys in Chinese', async () => {
    const keys = (object: object, prefix = ''): string[] =>
      Object.entries(object).flatMap(([key, value]) => (typeof value === 'object' ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`]));
    expect(keys(datasetsZhCN).sort()).toEqual(keys(datasetsEn).sort());
    const { wrapper } = await mountView(datasetsClient(), 'zh-CN');
    expect(wrapper.get('[data-testid="dataset-row-fashion-mnist-subset"]').text()).toContain('内置');
  });

  it('states each catalog licence in the UI language: the host\'s words in English, translated in Chinese', async () => {
    expect(datasetsEn.catalog.licences).toEqual(Object.fromEntries(HOST_CATALOG.map((entry) => [entry.name, entry.licence])));
    expect(Object.keys(datasetsZhCN.catalog.licences).sort()).toEqual(HOST_CATALOG.map((entry) => entry.name).sort());
    const english = await mountView(datasetsClient());
    expect(english.wrapper.get('[data-testid="catalog-card-cifar-10"]').text()).toContain('Licence: free to use with citation (Krizhevsky, 2009)');
    english.wrapper.unmount();
    const { wrapper } = await mountView(datasetsClient(), 'zh-CN');
    const cifar = wrapper.get('[data-testid="catalog-card-cifar-10"]').text();
    expect(cifar).toContain('许可：可免费使用，须注明出处（Krizhevsky，2009）');
    expect(cifar).not.toMatch(/free|citation/);
    expect(wrapper.get('[data-testid="catalog-card-mnist"]').text()).toContain('CC BY-SA 3.0 许可');
  });
});

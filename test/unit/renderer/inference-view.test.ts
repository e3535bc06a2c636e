// @vitest-environment jsdom
// The Inference screen in isolation: a drop on the window sends the image to every chosen run and
// shows top-k and the heatmap per run; many images give the table with its disagreement filter.
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';
import type { InferPredictResponse, InferRun } from '../../../src-main/contract';
import en from '../../../src-renderer/i18n/en';
import inferenceEn from '../../../src-renderer/i18n/inference.en';
import inferenceZh from '../../../src-renderer/i18n/inference.zh-CN';
import { useConnectionStore } from '../../../src-renderer/stores/connection';
import { predictionsCsv, runsDisagree, useInferenceStore } from '../../../src-renderer/stores/inference';
import InferenceView from '../../../src-renderer/views/InferenceView.vue';
import { FakeClient, settle } from '../renderer/fake-client';

const RUNS: InferRun[] = [
  { runId: 'run-a', model: 'resnet20', dataset: 'fashion-mnist-subset', status: 'completed', createdAt: '2025-01-02T00:00:00Z', checkpoints: ['best', 'last'], valAccuracy: 0.8 },
  { runId: 'run-b', model: 'vgg11', dataset: 'fashion-mnist-subset', status: 'completed', createdAt: '2025-01-01T00:00:00Z', checkpoints: ['last'], valAccuracy: 0.7 },
];
const PRE = { input: [28, 28, 1] as [number, number, number], classes: ['shirt', 'shoe', 'bag'], mean: [0.28], std: [0.35], resize: 'squash' as const, background: 'white' as const, source: 'checkpoint' as const };

function answer(runId: string, name: string, first: string, withCam: boolean): InferPredictResponse {
  const index = PRE.classes.indexOf(first);
  return {
    runId,
    model: runId === 'run-a' ? 'resnet20' : 'vgg11',
    dataset: 'fashion-mnist-subset',
    checkpoint: runId === 'run-a' ? 'best' : 'last',
    preprocessing: PRE,
    backend: 'wasm',
    modelLoadMs: null,
    predictions: [
      name === 'notes.txt'
        ? { name, notes: [], error: 'not an image (content is not JPEG, PNG, WebP, GIF, TIFF, BMP or HEIF/AVIF)' }
        : {
            name,
            top: [{ class: first, index, probability: 0.9 }, { class: 'bag', index: 2, probability: 0.1 }],
            ms: 12.5,
            notes: ['resized 64×48 → 28×28 (squashed)'],
            ...(withCam ? { cam: { layer: 'conv4_block3_out', classIndex: index, class: first, heatmap: { width: 2, height: 2, values: [0, 0.5, 1, 0.25] } } } : {}),
          },
    ],
  };
}

function client(): FakeClient {
  return new FakeClient({
    'infer.runs': () => ({ ok: true, value: RUNS }),
    'infer.layers': (params) => ({
      ok: true,
      value: {
        runId: (params as { runId: string }).runId,
        model: 'resnet20',
        checkpoint: 'best',
        classes: PRE.classes,
        preprocessing: PRE,
        layers: [{ name: 'conv4_block3_out', type: 'Activation', outputShape: [7, 7, 64], spatial: true }],
        camLayer: 'conv4_block3_out',
        seBlocks: [],
      },
    }),
    'infer.predict': (params) => {
      const { runId, images, cam } = params as { runId: string; images: { name: string }[]; cam?: unknown };
      // The two runs disagree on b.png only.
      const first = images[0].name === 'b.png' && runId === 'run-b' ? 'shoe' : 'shirt';
      return { ok: true, value: answer(runId, images[0].name, first, cam !== undefined) };
    },
    'infer.featureMaps': () => ({ ok: true, value: { layer: 'conv4_block3_out', shape: [7, 7, 64], channels: 64, columns: 8, rows: 8, png: 'iVBORw0KGgo=', ms: 3, notes: [] } }),
  });
}

function drop(files: File[]): void {
  const event = new Event('drop', { bubbles: true, cancelable: true });
  Object.defineProperty(event, 'dataTransfer', { value: { files, items: [], types: ['Files'] } });
  window.dispatchEvent(event);
}

async function mountView(fake: FakeClient) {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnectionStore().attach(fake);
  const i18n = createI18n({ legacy: false, locale: 'en', messages: { en: { ...en, inference: inferenceEn } } });
  const wrapper = mount(InferenceView, { global: { plugins: [pinia, i18n] }, attachTo: document.body });
  await flushPromises();
  await settle();
  return wrapper;
}

beforeEach(() => {
  // jsdom draws nothing; the canvas stays blank and the test reads its data attributes.
  HTMLCanvasElement.prototype.getContext = (() => null) as unknown as HTMLCanvasElement['getContext'];
  URL.createObjectURL = () => 'blob:fake';
  URL.revokeObjectURL = () => undefined;
});

describe('Inference screen', () => {
  it('predicts a dropped image and shows top-k, time and the Grad-CAM heatmap', async () => {
    const fake = client();
    const wrapper = await mountView(fake);
    expect(wrapper.find('[data-testid="inference-drop"]').exists()).toBe(true);
    drop([new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'a.png', { type: 'image/png' })]);
    await settle(20);
    await flushPromises();
    const request = fake.callsOf('infer.predict')[0] as { runId: string; images: { name: string; data: string }[]; cam?: object };
    expect(request).toMatchObject({ runId: 'run-a', checkpoint: 'best', topK: 5, images: [{ name: 'a.png', data: 'iVBORw==' }], cam: { output: 'heatmap' } });
    const result = wrapper.get('[data-testid="inference-result"]');
    expect(result.attributes('data-state')).toBe('done');
    expect(result.get('[data-testid="inference-topk"]').text()).toMatch(/shirt\s*90\.0%/);
    expect(result.text()).toContain('12.5 ms');
    expect(result.text()).toContain('resized 64×48 → 28×28');
    expect(result.get('[data-testid="inference-cam"]').attributes('data-has-heatmap')).toBe('true');
    expect(result.get('[data-testid="inference-preprocessing"]').text()).toContain('28×28×1');
    await wrapper.get('[data-testid="inference-opacity"]').setValue('0.8');
    expect(result.get('[data-testid="inference-cam"]').attributes('data-opacity')).toBe('0.8');
    // A chosen class asks again with it.
    await wrapper.get('[data-testid="inference-cam-class"]').setValue('1');
    await settle(10);
    expect(fake.callsOf('infer.predict').at(-1)).toMatchObject({ cam: { classIndex: 1 } });
    wrapper.unmount();
  });

  it('compares runs side by side and tabulates many images with a disagreement filter', async () => {
    const fake = client();
    const wrapper = await mountView(fake);
    await wrapper.get('[data-testid="inference-run-run-b"]').setValue(true);
    await settle(10);
    drop(['a.png', 'b.png', 'notes.txt'].map((name) => new File([new Uint8Array([1, 2, 3])], name, { type: name.endsWith('.txt') ? 'text/plain' : 'image/png' })));
    await settle(40);
    await flushPromises();
    expect(wrapper.findAll('[data-testid="inference-result"]').map((r) => r.attributes('data-run'))).toEqual(['run-a', 'run-b']);
    const rows = wrapper.findAll('[data-testid^="inference-row-"]');
    expect(rows).toHaveLength(3);
    expect(rows.map((row) => row.attributes('data-disagree'))).toEqual(['false', 'true', 'false']);
    expect(rows[2].text()).toContain('not an image');
    await wrapper.get('[data-testid="inference-disagree"]').setValue(true);
    expect(wrapper.findAll('[data-testid^="inference-row-"]')).toHaveLength(1);
    const csv = useInferenceStore().csv().trim().split('\n');
    expect(csv[0]).toBe('image,run-a class,run-a probability,run-b class,run-b probability');
    expect(csv[1]).toBe('b.png,shirt,0.900000,shoe,0.900000');
    wrapper.unmount();
  });

  it('says what to do when no run has a checkpoint', async () => {
    const fake = client().handle('infer.runs', () => ({ ok: true, value: [] }));
    const wrapper = await mountView(fake);
    expect(wrapper.get('[data-testid="inference-no-runs"]').text()).toMatch(/Train one first/);
    wrapper.unmount();
  });
});

describe('helpers', () => {
  it('finds disagreement only among runs that answered, and quotes CSV cells', () => {
    const done = (name: string) => ({ prediction: { name: 'x', notes: [], top: [{ class: name, index: 0, probability: 1 }] }, error: null, preprocessing: null, checkpoint: null, loading: false });
    expect(runsDisagree([done('a'), done('a'), undefined])).toBe(false);
    expect(runsDisagree([done('a'), done('b')])).toBe(true);
    const csv = predictionsCsv([{ id: 1, name: 'a,"b".png', url: '', data: null, localError: null, downscaled: false }], ['r'], { 1: { r: done('x') } });
    expect(csv).toBe('image,r class,r probability\n"a,""b"".png",x,1.000000\n');
  });

  it('neutralises an image name that a spreadsheet would run as a formula', () => {
    const done = { prediction: { name: 'x', notes: [], top: [{ class: '@cls', index: 0, probability: 0.5 }] }, error: null, preprocessing: null, checkpoint: null, loading: false };
    const image = { id: 1, name: '=HYPERLINK("http://evil.example","click")', url: '', data: null, localError: null, downscaled: false };
    const csv = predictionsCsv([image], ['r'], { 1: { r: done } });
    expect(csv).toBe('image,r class,r probability\n"\'=HYPERLINK(""http://evil.example"",""click"")",\'@cls,0.500000\n');
  });

  it('has the same message keys in both languages', () => {
    const keys = (value: object, prefix = ''): string[] =>
      Object.entries(value).flatMap(([key, child]) => (typeof child === 'object' ? keys(child, `${prefix}${key}.`) : [`${prefix}${key}`]));
    expect(keys(inferenceZh).sort()).toEqual(keys(inferenceEn).sort());
  });
});

/**
 * The Inference screen: dropped images, the runs they go through (one, or several side by side),
 * each run's top-k and Grad-CAM per image, and the "why" panels (feature maps, squeeze-excitation
 * weights) for the image in focus. Images travel as bytes, so the same code serves the desktop app
 * and the browser; very large pictures are downscaled here before they are sent.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import {
  INFER_LIMITS,
  toCsv,
  type ApiError,
  type CheckpointName,
  type InferFeatureMapsResponse,
  type InferLayersResponse,
  type InferRun,
  type InferSeWeightsResponse,
  type Prediction,
  type PreprocessingInfo,
} from '../../src-main/contract';
import { useConnectionStore } from './connection';

/** Pictures larger than this (bytes or pixels a side) are re-encoded smaller before sending. */
export const UPLOAD_MAX_BYTES = 8 * 1024 * 1024;
export const UPLOAD_MAX_SIDE = 2048;
/** Files that are not images are still sent (the host says why it refuses them) up to this size. */
const UNKNOWN_MAX_BYTES = 1024 * 1024;

export interface InferenceImage {
  id: number;
  name: string;
  /** For display: an object URL of the file as dropped. */
  url: string;
  /** base64 of what is sent, or null while it is being read. */
  data: string | null;
  /** Refused before sending (too large and not decodable here). */
  localError: string | null;
  /** Set when the picture was re-encoded smaller before sending. */
  downscaled: boolean;
}

export interface RunAnswer {
  prediction: Prediction | null;
  error: ApiError | null;
  preprocessing: PreprocessingInfo | null;
  checkpoint: CheckpointName | null;
  loading: boolean;
}

export const DEFAULT_OPACITY = 0.5;

/** True when the runs that answered do not all put the same class first. */
export function runsDisagree(answers: Array<RunAnswer | undefined>): boolean {
  const firsts = answers.map((answer) => answer?.prediction?.top?.[0]?.class).filter((name): name is string => name !== undefined);
  return new Set(firsts).size > 1;
}

/** One row per image: per run, its top class and probability (or its error). */
export function predictionsCsv(images: InferenceImage[], runIds: string[], answers: Record<number, Record<string, RunAnswer>>): string {
  const header = ['image', ...runIds.flatMap((id) => [`${id} class`, `${id} probability`])];
  const rows = images.map((image) => [
    image.name,
    ...runIds.flatMap((id) => {
      const answer = answers[image.id]?.[id];
      const top = answer?.prediction?.top?.[0];
      if (top) return [top.class, top.probability.toFixed(6)];
      const error = image.localError ?? answer?.prediction?.error ?? answer?.error?.message ?? '';
      return [error ? `error: ${error}` : '', ''];
    }),
  ]);
  return toCsv([header, ...rows]);
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function blobToBase64(blob: Blob): Promise<string> {
  return bytesToBase64(new Uint8Array(await blob.arrayBuffer()));
}

/** Re-encodes a picture the browser can decode to at most UPLOAD_MAX_SIDE a side; null if it cannot. */
async function downscale(file: Blob): Promise<Blob | null> {
  if (typeof createImageBitmap !== 'function' || typeof document === 'undefined') return null;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, UPLOAD_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
  } catch {
    return null;
  }
}

/** What is sent for a dropped file: its own bytes, or a smaller re-encoding of a very large picture. */
export async function prepareUpload(file: Blob): Promise<{ data: string | null; downscaled: boolean; error: string | null }> {
  const image = file.type.startsWith('image/');
  if (file.size <= UPLOAD_MAX_BYTES || (!image && file.size <= UNKNOWN_MAX_BYTES)) {
    if (image && file.size > UPLOAD_MAX_BYTES / 4) {
      // Big enough that its pixel count may be huge: shrink only when the browser can decode it.
      const smaller = await downscale(file);
      if (smaller && smaller.size < file.size) return { data: await blobToBase64(smaller), downscaled: true, error: null };
    }
    return { data: await blobToBase64(file), downscaled: false, error: null };
  }
  const smaller = await downscale(file);
  if (smaller && smaller.size <= INFER_LIMITS.imageBytes) return { data: await blobToBase64(smaller), downscaled: true, error: null };
  return { data: null, downscaled: false, error: `too large to send (${(file.size / 1024 / 1024).toFixed(1)} MiB) and not a picture this browser can shrink` };
}

export const useInferenceStore = defineStore('inference', () => {
  const connection = useConnectionStore();

  const runs = ref<InferRun[]>([]);
  const runsError = ref<ApiError | null>(null);
  /** The runs each image goes through; the first is the one the "why" panels describe. */
  const selectedRuns = ref<string[]>([]);
  const checkpoint = ref<CheckpointName>('best');
  const topK = ref(5);

  const images = ref<InferenceImage[]>([]);
  const activeImageId = ref<number | null>(null);
  const answers = ref<Record<number, Record<string, RunAnswer>>>({});

  /** Grad-CAM: null class = the predicted one; null layer = the network's default. */
  const camClass = ref<number | null>(null);
  const camLayer = ref<string | null>(null);
  const opacity = ref(DEFAULT_OPACITY);

  const layers = ref<Record<string, InferLayersResponse>>({});
  const featureLayer = ref<string | null>(null);
  const featureMaps = shallowRef<InferFeatureMapsResponse | null>(null);
  const featureError = ref<ApiError | null>(null);
  const seBlock = ref<string | null>(null);
  const seWeights = shallowRef<InferSeWeightsResponse | null>(null);
  const seError = ref<ApiError | null>(null);
  const disagreeOnly = ref(false);

  let nextImageId = 1;

  const activeImage = computed(() => images.value.find((image) => image.id === activeImageId.value) ?? null);
  const primaryRun = computed(() => selectedRuns.value[0] ?? null);
  const primaryLayers = computed(() => (primaryRun.value ? layers.value[primaryRun.value] ?? null : null));
  const visibleImages = computed(() =>
    disagreeOnly.value ? images.value.filter((image) => runsDisagree(selectedRuns.value.map((id) => answers.value[image.id]?.[id]))) : images.value,
  );

  async function loadRuns(): Promise<void> {
    const result = await connection.call('infer.runs', {});
    if (!result.ok) {
      runsError.value = result.error;
      return;
    }
    runsError.value = null;
    runs.value = result.value;
    selectedRuns.value = selectedRuns.value.filter((id) => result.value.some((run) => run.runId === id));
    if (selectedRuns.value.length === 0 && result.value.length > 0) selectedRuns.value = [result.value[0].runId];
    if (primaryRun.value) void loadLayers(primaryRun.value);
  }

  async function loadLayers(runId: string): Promise<void> {
    const result = await connection.call('infer.layers', { runId, checkpoint: checkpoint.value });
    if (!result.ok) return;
    layers.value = { ...layers.value, [runId]: result.value };
    if (runId === primaryRun.value) {
      if (!featureLayer.value || !result.value.layers.some((l) => l.name === featureLayer.value)) featureLayer.value = result.value.camLayer;
      if (!seBlock.value || !result.value.seBlocks.includes(seBlock.value)) seBlock.value = result.value.seBlocks[0] ?? null;
    }
  }

  function setAnswer(imageId: number, runId: string, answer: Partial<RunAnswer>): void {
    const perImage = answers.value[imageId] ?? {};
    const previous = perImage[runId] ?? { prediction: null, error: null, preprocessing: null, checkpoint: null, loading: false };
    answers.value = { ...answers.value, [imageId]: { ...perImage, [runId]: { ...previous, ...answer } } };
  }

  async function predict(image: InferenceImage, runId: string): Promise<void> {
    if (!image.data) return;
    setAnswer(image.id, runId, { loading: true });
    // Only the image in focus needs its heatmap; the others get it when they are opened.
    const withCam = image.id === activeImageId.value;
    const camOptions = {
      output: 'heatmap' as const,
      ...(camClass.value !== null ? { classIndex: camClass.value } : {}),
      ...(camLayer.value && runId === primaryRun.value ? { layer: camLayer.value } : {}),
    };
    const result = await connection.call('infer.predict', {
      runId,
      checkpoint: checkpoint.value,
      topK: topK.value,
      images: [{ name: image.name, data: image.data }],
      ...(withCam ? { cam: camOptions } : {}),
    });
    if (result.ok) {
      setAnswer(image.id, runId, { loading: false, error: null, prediction: result.value.predictions[0], preprocessing: result.value.preprocessing, checkpoint: result.value.checkpoint });
    } else {
      setAnswer(image.id, runId, { loading: false, error: result.error, prediction: null });
    }
  }

  /** Runs every image through every selected run, the image in focus first. */
  async function predictAll(): Promise<void> {
    const ordered = [...images.value].sort((a, b) => Number(b.id === activeImageId.value) - Number(a.id === activeImageId.value));
    for (const image of ordered) await Promise.all(selectedRuns.value.map((runId) => predict(image, runId)));
  }

  async function addFiles(files: File[]): Promise<void> {
    const added: InferenceImage[] = files.map((file) => ({
      id: nextImageId++,
      name: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name || 'pasted image',
      url: typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : '',
      data: null,
      localError: null,
      downscaled: false,
    }));
    images.value = [...images.value, ...added];
    if (added.length) activeImageId.value = added[0].id;
    for (const [i, image] of added.entries()) {
      const upload = await prepareUpload(files[i]);
      const target = images.value.find((candidate) => candidate.id === image.id);
      if (!target) continue;
      Object.assign(target, { data: upload.data, downscaled: upload.downscaled, localError: upload.error });
      await Promise.all(selectedRuns.value.map((runId) => predict(target, runId)));
    }
    void refreshPanels();
  }

  function focus(imageId: number): void {
    activeImageId.value = imageId;
    const image = activeImage.value;
    if (image && selectedRuns.value.some((runId) => !answers.value[imageId]?.[runId]?.prediction?.cam)) {
      void Promise.all(selectedRuns.value.map((runId) => predict(image, runId)));
    }
    void refreshPanels();
  }

  /** Asks again for the image in focus (a new class, layer, checkpoint or top-k). */
  async function refreshActive(): Promise<void> {
    const image = activeImage.value;
    if (image) await Promise.all(selectedRuns.value.map((runId) => predict(image, runId)));
  }

  async function setRuns(runIds: string[]): Promise<void> {
    const added = runIds.filter((id) => !selectedRuns.value.includes(id));
    const primaryChanged = runIds[0] !== primaryRun.value;
    selectedRuns.value = runIds;
    if (primaryChanged) {
      camLayer.value = null;
      camClass.value = null;
      if (runIds[0]) await loadLayers(runIds[0]);
    }
    for (const image of images.value) await Promise.all(added.map((runId) => predict(image, runId)));
    if (primaryChanged) void refreshPanels();
  }

  async function setCheckpoint(name: CheckpointName): Promise<void> {
    checkpoint.value = name;
    if (primaryRun.value) await loadLayers(primaryRun.value);
    await predictAll();
    void refreshPanels();
  }

  async function setCam(options: { classIndex?: number | null; layer?: string | null }): Promise<void> {
    if (options.classIndex !== undefined) camClass.value = options.classIndex;
    if (options.layer !== undefined) camLayer.value = options.layer;
    await refreshActive();
  }

  async function loadFeatureMaps(): Promise<void> {
    const image = activeImage.value;
    if (!image?.data || !primaryRun.value || !featureLayer.value) return;
    const result = await connection.call('infer.featureMaps', { runId: primaryRun.value, checkpoint: checkpoint.value, image: { name: image.name, data: image.data }, layer: featureLayer.value, maxChannels: 64 });
    featureMaps.value = result.ok ? result.value : null;
    featureError.value = result.ok ? null : result.error;
  }

  async function loadSeWeights(): Promise<void> {
    const image = activeImage.value;
    if (!image?.data || !primaryRun.value || !seBlock.value) {
      seWeights.value = null;
      return;
    }
    const result = await connection.call('infer.seWeights', { runId: primaryRun.value, checkpoint: checkpoint.value, image: { name: image.name, data: image.data }, block: seBlock.value });
    seWeights.value = result.ok ? result.value : null;
    seError.value = result.ok ? null : result.error;
  }

  async function refreshPanels(): Promise<void> {
    await Promise.all([loadFeatureMaps(), loadSeWeights()]);
  }

  function clear(): void {
    for (const image of images.value) if (image.url && typeof URL.revokeObjectURL === 'function') URL.revokeObjectURL(image.url);
    images.value = [];
    answers.value = {};
    activeImageId.value = null;
    featureMaps.value = null;
    seWeights.value = null;
  }

  function csv(): string {
    return predictionsCsv(visibleImages.value, selectedRuns.value, answers.value);
  }

  return {
    runs,
    runsError,
    selectedRuns,
    primaryRun,
    checkpoint,
    topK,
    images,
    visibleImages,
    activeImageId,
    activeImage,
    answers,
    camClass,
    camLayer,
    opacity,
    layers,
    primaryLayers,
    featureLayer,
    featureMaps,
    featureError,
    seBlock,
    seWeights,
    seError,
    disagreeOnly,
    loadRuns,
    loadLayers,
    addFiles,
    focus,
    predictAll,
    refreshActive,
    setRuns,
    setCheckpoint,
    setCam,
    loadFeatureMaps,
    loadSeWeights,
    clear,
    csv,
  };
});

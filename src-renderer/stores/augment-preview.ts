/**
 * The Datasets screen, part 3 of 4: the augmentation preview of the dataset open in detail: one
 * image, then `count` augmented versions of it as training would see them.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import { AugmentOptionsSchema, DATASET_LIMITS, type AugmentOptionsInput, type DatasetSplit } from '../../src-main/contract';
import { numberOrUndefined } from '../lib/validation';
import { useConnectionStore } from './connection';
import { splitSize, useDatasetDetailStore } from './dataset-detail';

/** What the inputs hold: number inputs give '' when empty or unparsable. */
export interface AugmentForm {
  horizontalFlip: boolean;
  randomCrop: boolean;
  padding: number | string;
  randomResizedCrop: boolean;
  scaleMin: number | string;
  scaleMax: number | string;
  colorJitter: boolean;
  brightness: number | string;
  contrast: number | string;
  saturation: number | string;
  count: number | string;
}

export function defaultAugmentForm(): AugmentForm {
  return {
    horizontalFlip: true,
    randomCrop: true,
    padding: 4,
    randomResizedCrop: false,
    scaleMin: 0.08,
    scaleMax: 1,
    colorJitter: false,
    brightness: 0.4,
    contrast: 0.4,
    saturation: 0.4,
    count: 11,
  };
}

/** The `augment` object the form describes (torchvision's default aspect ratios for resized crops). */
export function augmentFormToOptions(form: AugmentForm): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (form.horizontalFlip) options.horizontalFlip = true;
  if (form.randomCrop) options.randomCrop = { padding: numberOrUndefined(form.padding) };
  if (form.randomResizedCrop) {
    const low = numberOrUndefined(form.scaleMin);
    const high = numberOrUndefined(form.scaleMax);
    const scale = low !== undefined && high !== undefined && low > high ? [high, low] : [low, high];
    options.randomResizedCrop = { scale, ratio: [3 / 4, 4 / 3] };
  }
  if (form.colorJitter) {
    options.colorJitter = {
      brightness: numberOrUndefined(form.brightness),
      contrast: numberOrUndefined(form.contrast),
      saturation: numberOrUndefined(form.saturation),
    };
  }
  return options;
}

export const useAugmentPreviewStore = defineStore('augmentPreview', () => {
  const connection = useConnectionStore();
  const dataset = useDatasetDetailStore();

  const form = reactive<AugmentForm>(defaultAugmentForm());
  const index = ref(0);
  const split = ref<DatasetSplit>('train');
  const seed = ref(0);
  const images = ref<string[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);

  // Another dataset (or none): start again from its first training image.
  watch(
    () => dataset.selectedId,
    () => {
      images.value = [];
      error.value = null;
      index.value = 0;
      split.value = 'train';
    },
  );
  // A dataset without training images previews the split its sample grid shows.
  watch(
    () => dataset.detail,
    (detail) => {
      if (detail && splitSize(detail, split.value) === 0) split.value = dataset.samplesSplit;
    },
  );

  const validation = computed(() => AugmentOptionsSchema.safeParse(augmentFormToOptions(form)));
  const count = computed(() => {
    const value = numberOrUndefined(form.count);
    return value !== undefined && Number.isInteger(value) && value >= 1 && value <= DATASET_LIMITS.maxPreviewCount ? value : null;
  });
  /** The preview button stays disabled while this is false; the inputs show their own limits. */
  const valid = computed(() => validation.value.success && count.value !== null);

  /** Shows `count` augmented versions of one image (the original first); a new seed each press. */
  async function preview(pick?: { split: DatasetSplit; index: number }): Promise<boolean> {
    const current = dataset.detail;
    if (!current) return false;
    if (pick) {
      split.value = pick.split;
      index.value = pick.index;
    }
    const parsed = validation.value;
    if (!parsed.success || count.value === null) return false;
    seed.value = (seed.value + 1) % 2 ** 31;
    const request = { id: current.id, split: split.value, index: index.value, augment: parsed.data as AugmentOptionsInput, count: count.value, seed: seed.value };
    loading.value = true;
    error.value = null;
    const result = await connection.call('datasets.previewAugmentation', request);
    if (dataset.detail?.id !== current.id) return false;
    loading.value = false;
    if (!result.ok) {
      error.value = result.error.message;
      return false;
    }
    images.value = result.value;
    return true;
  }

  return { form, index, split, images, loading, error, valid, preview };
});

/**
 * The Datasets screen, part 3 of 4: the augmentation preview of the dataset open in detail: one
 * image, then `count` augmented versions of it as training would see them.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import { AUGMENT_DEFAULTS, methods, type AugmentOptionsInput, type DatasetSplit } from '../../src-main/contract';
import { fieldErrorsOf, type FieldMessage } from '../lib/issue-messages';
import { numberOrUndefined } from '../lib/validation';
import { useConnectionStore } from './connection';
import { splitSize, useDatasetDetailStore } from './dataset-detail';

/** What the preview sends and checks: the request's own rules for `augment` and `count`. */
const PreviewOptionsSchema = methods['datasets.previewAugmentation'].request.pick({ augment: true, count: true });

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

/** The preview opens on the CIFAR augmentation (padded crop and flip), each value at the contract's default. */
export function defaultAugmentForm(): AugmentForm {
  const [scaleMin, scaleMax] = AUGMENT_DEFAULTS.randomResizedCrop.scale;
  return {
    horizontalFlip: true,
    randomCrop: true,
    padding: AUGMENT_DEFAULTS.randomCrop.padding,
    randomResizedCrop: false,
    scaleMin,
    scaleMax,
    colorJitter: false,
    ...AUGMENT_DEFAULTS.colorJitter,
    count: 11,
  };
}

export type AugmentFormField = 'padding' | 'scaleMin' | 'scaleMax' | 'brightness' | 'contrast' | 'saturation' | 'count';

/** The input a request path points at: `augment.randomResizedCrop.scale.1` → scaleMax. */
function previewFieldOf(path: readonly PropertyKey[]): AugmentFormField | null {
  const [group, option, key, index] = path.map(String);
  if (group === 'count') return 'count';
  if (option === 'randomCrop') return 'padding';
  if (option === 'randomResizedCrop') return index === '1' ? 'scaleMax' : 'scaleMin';
  if (option === 'colorJitter' && (key === 'brightness' || key === 'contrast' || key === 'saturation')) return key;
  return null;
}

const inUnitRange = (value: number | undefined): value is number => value !== undefined && value > 0 && value <= 1;

/**
 * The `augment` object the form describes (the default aspect ratios for resized crops). Two valid
 * scale bounds typed the other way round are swapped; an invalid one stays where it was typed, so
 * its error shows under it.
 */
export function augmentFormToOptions(form: AugmentForm): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (form.horizontalFlip) options.horizontalFlip = true;
  if (form.randomCrop) options.randomCrop = { padding: numberOrUndefined(form.padding) };
  if (form.randomResizedCrop) {
    const low = numberOrUndefined(form.scaleMin);
    const high = numberOrUndefined(form.scaleMax);
    const scale = inUnitRange(low) && inUnitRange(high) && low > high ? [high, low] : [low, high];
    options.randomResizedCrop = { scale, ratio: AUGMENT_DEFAULTS.randomResizedCrop.ratio };
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

  const input = computed(() => ({ augment: augmentFormToOptions(form), count: numberOrUndefined(form.count) }));
  const validation = computed(() => PreviewOptionsSchema.safeParse(input.value));
  /** The message under each input; the preview button stays disabled while there is one. */
  const errors = computed<Partial<Record<AugmentFormField, FieldMessage>>>(() =>
    validation.value.success ? {} : fieldErrorsOf(validation.value.error.issues, input.value, previewFieldOf),
  );
  const valid = computed(() => validation.value.success);

  /** Shows `count` augmented versions of one image (the original first); a new seed each press. */
  async function preview(pick?: { split: DatasetSplit; index: number }): Promise<boolean> {
    const current = dataset.detail;
    if (!current) return false;
    if (pick) {
      split.value = pick.split;
      index.value = pick.index;
    }
    const parsed = validation.value;
    if (!parsed.success) return false;
    seed.value = (seed.value + 1) % 2 ** 31;
    const request = { id: current.id, split: split.value, index: index.value, augment: parsed.data.augment as AugmentOptionsInput, count: parsed.data.count, seed: seed.value };
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

  return { form, index, split, images, loading, error, errors, valid, preview };
});

/**
 * The Models screen's state: the chosen family and variant, its switches, the input size, class
 * count and batch size, and the live inspection (`models.inspect`, a dry run on the host) that
 * follows every edit after a short pause. Errors come back naming their field and are shown there.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import { MODEL_LIMITS, type ApiError, type ModelInfo, type ModelInspection, type ModelOptions, type SwitchSpec, type SwitchValue } from '../../src-main/contract';
import type { FieldMessage } from '../lib/issue-messages';
import { useConnectionStore } from './connection';
import { useNavigationStore } from './navigation';
import { useSystemStore } from './system';
import { useTrainingStore } from './training';

/** Pause after the last keystroke before the host is asked again. */
export const INSPECT_DEBOUNCE_MS = 150;

/** Families in the order their papers appeared (arXiv), so the cards read as a history. */
export const FAMILY_ORDER = ['AlexNet', 'VGG', 'GoogLeNet', 'Inception', 'ResNet', 'ResNeXt', 'DenseNet', 'SENet'];

/** A form value: what the control holds ('' while a number input is empty). */
export type SwitchInput = SwitchValue | '';

export interface ModelFamily {
  family: string;
  models: ModelInfo[];
}

function familyRank(family: string): number {
  const index = FAMILY_ORDER.indexOf(family);
  return index < 0 ? FAMILY_ORDER.length : index;
}

function isNumberSpec(spec: SwitchSpec): spec is Extract<SwitchSpec, { kind: 'number' | 'integer' }> {
  return spec.kind === 'number' || spec.kind === 'integer';
}

function numberOrEmpty(value: number | string): number | '' {
  if (typeof value === 'number') return Number.isFinite(value) ? value : '';
  return value.trim() === '' || !Number.isFinite(Number(value)) ? '' : Number(value);
}

export const useModelsStore = defineStore('models', () => {
  const connection = useConnectionStore();
  const system = useSystemStore();

  const variant = ref('');
  const options = reactive<Record<string, SwitchInput>>({});
  const inputSide = ref<number | string>(224);
  const channels = ref(3);
  const classes = ref<number | string>(1000);
  const batchSize = ref<number | string>(32);

  const inspection = ref<ModelInspection | null>(null);
  const error = ref<ApiError | null>(null);
  const inspecting = ref(false);
  let sequence = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const families = computed<ModelFamily[]>(() =>
    [...system.modelFamilies].sort((a, b) => familyRank(a.family) - familyRank(b.family)).map(({ family, models }) => ({ family, models })),
  );
  const model = computed(() => system.findModel(variant.value));
  const family = computed(() => model.value?.family ?? null);
  const switches = computed<Record<string, SwitchSpec>>(() => model.value?.switches ?? {});

  /** Fields the host cannot be asked about yet (an empty number input). */
  const localErrors = computed<Record<string, FieldMessage>>(() => {
    const errors: Record<string, FieldMessage> = {};
    for (const [name, spec] of Object.entries(switches.value)) {
      if (isNumberSpec(spec) && options[name] === '') errors[`options.${name}`] = { key: 'models.required' };
    }
    const side = numberOrEmpty(inputSide.value);
    if (side === '') errors.input = { key: 'models.required' };
    else if (!Number.isInteger(side) || side < 1 || side > MODEL_LIMITS.maxInputSide) errors.input = { key: 'models.sideRange', params: { max: MODEL_LIMITS.maxInputSide } };
    if (numberOrEmpty(classes.value) === '') errors.classes = { key: 'models.required' };
    if (numberOrEmpty(batchSize.value) === '') errors.batchSize = { key: 'models.required' };
    return errors;
  });

  /** The switches that differ from the paper's (the variant's defaults): what a run records. */
  const changedOptions = computed<ModelOptions>(() => {
    const changed: ModelOptions = {};
    for (const [name, spec] of Object.entries(switches.value)) {
      const value = options[name];
      if (value === undefined || value === '' || value === spec.default) continue;
      changed[name] = value;
    }
    return changed;
  });

  /** The error to show next to `field` (`input`, `classes`, `batchSize`, `options.<switch>`). */
  function fieldError(field: string): FieldMessage | null {
    const local = localErrors.value[field];
    if (local) return local;
    return error.value && hostField(error.value.field) === field ? { text: error.value.message } : null;
  }

  /** The form field a host error belongs to: "input.0" (a side of the input tuple) is the input field. */
  function hostField(field: string | undefined): string {
    return field?.startsWith('input.') ? 'input' : (field ?? '');
  }

  /** An error that belongs to no field on the form (an unknown model, a lost connection). */
  const generalError = computed(() => {
    const current = error.value;
    if (!current) return null;
    const field = hostField(current.field);
    const shown = field === 'input' || field === 'classes' || field === 'batchSize' || (field.startsWith('options.') && field.slice(8) in switches.value);
    return shown ? null : current.message;
  });

  function resetOptions(): void {
    for (const name of Object.keys(options)) delete options[name];
    for (const [name, spec] of Object.entries(switches.value)) options[name] = spec.default;
  }

  /** Chooses a variant: its switches start at the paper's values, the input and classes at its own. */
  function selectVariant(name: string, chosen: ModelOptions = {}): void {
    variant.value = name;
    const info = model.value;
    resetOptions();
    for (const [option, value] of Object.entries(chosen)) if (option in switches.value) options[option] = value;
    if (info) {
      inputSide.value = info.input[0];
      channels.value = info.input[2];
      classes.value = info.classes;
    }
  }

  /** A family card: keeps the variant when it is already of that family, else takes its first. */
  function selectFamily(name: string): void {
    if (family.value === name) return;
    const first = families.value.find((entry) => entry.family === name)?.models[0];
    if (first) selectVariant(first.name);
  }

  function setOption(name: string, value: SwitchInput): void {
    options[name] = value;
  }

  /** Opens the screen on what the Train form holds, or on the first model when it holds none. */
  function ensureSelection(): void {
    if (variant.value && model.value) return;
    const training = useTrainingStore();
    const fromTraining = system.findModel(training.form.model);
    if (fromTraining) selectVariant(fromTraining.name, training.modelOptions);
    else if (families.value[0]) selectVariant(families.value[0].models[0].name);
  }

  function request() {
    const side = numberOrEmpty(inputSide.value) as number;
    return {
      name: variant.value,
      input: [side, side, channels.value] as [number, number, number],
      classes: numberOrEmpty(classes.value) as number,
      batchSize: numberOrEmpty(batchSize.value) as number,
      options: changedOptions.value,
    };
  }

  async function inspect(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const mine = ++sequence;
    if (!variant.value || Object.keys(localErrors.value).length > 0) {
      inspecting.value = false;
      return;
    }
    inspecting.value = true;
    const result = await connection.call('models.inspect', request());
    // An answer to an older edit arrives late: the newer one wins.
    if (mine !== sequence) return;
    inspecting.value = false;
    if (result.ok) {
      inspection.value = result.value;
      error.value = null;
    } else {
      error.value = result.error;
    }
  }

  function scheduleInspect(): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void inspect(), INSPECT_DEBOUNCE_MS);
  }

  watch([variant, () => ({ ...options }), inputSide, channels, classes, batchSize], scheduleInspect);

  /** "Train this model": the variant and its changed switches go to the Train form. */
  function trainThis(): void {
    if (!variant.value) return;
    useTrainingStore().useModel(variant.value, changedOptions.value);
    useNavigationStore().go('train');
  }

  return {
    variant,
    options,
    inputSide,
    channels,
    classes,
    batchSize,
    inspection,
    error,
    inspecting,
    families,
    model,
    family,
    switches,
    localErrors,
    changedOptions,
    generalError,
    fieldError,
    selectVariant,
    selectFamily,
    setOption,
    resetOptions,
    ensureSelection,
    inspect,
    trainThis,
  };
});

/**
 * The Train screen's state: the form, its validation, the run it started (or found running on
 * load), the live progress and the chart series fed by `run.progress` events.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef, watch } from 'vue';
import { changedFromRecipe as changedFromRecipeConfig, DEFAULT_TRAIN_CONFIG, isActiveStatus, recipeFitsModel } from '../../src-main/contract';
import type { DatasetInfo, EventMessage, EventOf, ModelInfo, ModelOptions, Recipe, RunDetail, RunStatus, TrainConfigInput } from '../../src-main/contract';
import type { FieldMessage } from '../lib/issue-messages';
import { appendMetrics, clearMetricSeries, createMetricSeries } from '../lib/metric-series';
import {
  changedFormFields,
  configToForm,
  defaultTrainForm,
  fieldForPath,
  isAdvancedField,
  isFormField,
  recipeToForm,
  validateTrainForm,
  type FieldErrors,
  type TrainForm,
} from '../lib/validation';
import { useConnectionStore } from './connection';
import { useSystemStore } from './system';

const FORM_STORAGE_KEY = 'cvb.trainForm';
/** The switches chosen on the Models screen, and the model they belong to. */
const MODEL_OPTIONS_STORAGE_KEY = 'cvb.trainModelOptions';
/** Whether the Advanced options are open (closed by default: the simple form stays simple). */
const ADVANCED_STORAGE_KEY = 'cvb.trainAdvancedOpen';
/** What a first run trains on, and with: the contract's defaults (the bundled set and resnet20, which fits its 28×28 images). */
const { dataset: DEFAULT_DATASET, model: DEFAULT_MODEL } = DEFAULT_TRAIN_CONFIG;

/**
 * Whether the chosen model builds at the chosen dataset's input with the chosen switches (the
 * host's dry run, models.inspect), and the one-click fix when it does not.
 */
export type ModelFit =
  | { fits: true }
  | { fits: false; reason: 'tooSmall' | 'switches'; detail: string; fix: { smallInput: true } | { model: string } | null };

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
  imagesPerSec: number;
  etaSeconds: number | null;
  /** Threads the run computes with, once known. */
  threads?: number;
}

type ProgressEvent = EventOf<'run.progress'>;

const AUGMENTATION_FIELDS: readonly string[] = ['randomCrop', 'cropPadding', 'horizontalFlip', 'randomResizedCrop', 'resizedCropScale', 'resizedCropRatio', 'colorJitter', 'brightness', 'contrast', 'saturation'];
const SCHEDULE_PARAMETERS = ['stepEpochs', 'gamma', 'milestones', 'minLearningRate', 'pctStart', 'divFactor', 'finalDivFactor'] as const;

function loadSavedForm(): TrainForm {
  const form = defaultTrainForm();
  try {
    const saved = JSON.parse(globalThis.localStorage?.getItem(FORM_STORAGE_KEY) ?? 'null') as Partial<TrainForm> | null;
    if (saved && typeof saved === 'object') {
      const target = form as unknown as Record<string, unknown>;
      for (const [field, fallback] of Object.entries(form)) {
        const value = (saved as Record<string, unknown>)[field];
        const fits = typeof fallback === 'boolean' ? typeof value === 'boolean' : typeof value === 'string' || typeof value === 'number';
        if (fits) target[field] = value;
      }
    }
  } catch {
    // A corrupt saved form is not worth an error: start from the defaults.
  }
  return form;
}

function loadSavedModelOptions(): { model: string; options: ModelOptions } {
  try {
    const saved = JSON.parse(globalThis.localStorage?.getItem(MODEL_OPTIONS_STORAGE_KEY) ?? 'null') as { model?: unknown; options?: unknown } | null;
    if (saved && typeof saved.model === 'string' && saved.options && typeof saved.options === 'object') {
      const options = Object.fromEntries(
        Object.entries(saved.options).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value)),
      ) as ModelOptions;
      return { model: saved.model, options };
    }
  } catch {
    // As with the form: start from the paper's switches.
  }
  return { model: '', options: {} };
}

/** The recipes on offer, the chosen model's first: written for it, then its family, then the rest by family. */
export function groupRecipes(recipes: readonly Recipe[], model: ModelInfo | undefined): { key: string; family: string | null; recipes: Recipe[] }[] {
  const forModel = model ? recipes.filter((recipe) => recipeFitsModel(recipe, model.name)) : [];
  const sameFamily = model ? recipes.filter((recipe) => recipe.family === model.family && !forModel.includes(recipe)) : [];
  const groups: { key: string; family: string | null; recipes: Recipe[] }[] = [];
  if (forModel.length > 0) groups.push({ key: 'model', family: null, recipes: forModel });
  if (sameFamily.length > 0) groups.push({ key: 'family', family: model?.family ?? null, recipes: sameFamily });
  const rest = new Map<string, Recipe[]>();
  for (const recipe of recipes) {
    if (forModel.includes(recipe) || sameFamily.includes(recipe)) continue;
    rest.set(recipe.family, [...(rest.get(recipe.family) ?? []), recipe]);
  }
  for (const [family, list] of rest) groups.push({ key: `other-${family}`, family, recipes: list });
  return groups;
}

export const useTrainingStore = defineStore('training', () => {
  const connection = useConnectionStore();
  const system = useSystemStore();

  const form = reactive<TrainForm>(loadSavedForm());
  const savedModelOptions = loadSavedModelOptions();
  /** The switches chosen for `modelOptionsFor` on the Models screen; a run of another model gets none. */
  const modelOptionsFor = ref(savedModelOptions.model);
  const chosenModelOptions = ref<ModelOptions>(savedModelOptions.options);
  const modelOptions = computed<ModelOptions>(() => (form.model !== '' && form.model === modelOptionsFor.value ? chosenModelOptions.value : {}));
  const hostErrors = ref<FieldErrors>({});
  const generalError = ref<FieldMessage | null>(null);

  const runId = ref<string | null>(null);
  /** The followed run's model, switches and name, once runs.get answered (charts name their files after it). */
  const run = shallowRef<Pick<RunDetail, 'id' | 'model' | 'name' | 'modelOptions'> | null>(null);
  const status = ref<RunStatus | null>(null);
  const runError = ref<string | null>(null);
  const progress = ref<TrainingProgress | null>(null);
  const starting = ref(false);
  const stopping = ref(false);
  const attaching = ref(false);

  const series = createMetricSeries();
  /** Bumped whenever `series` changes; the charts watch this instead of deep-watching points. */
  const seriesVersion = ref(0);
  let buffered: ProgressEvent[] = [];

  const advancedOpen = ref(globalThis.localStorage?.getItem(ADVANCED_STORAGE_KEY) === 'true');
  watch(advancedOpen, (open) => globalThis.localStorage?.setItem(ADVANCED_STORAGE_KEY, String(open)));

  const selectedModel = computed(() => system.findModel(form.model));
  /** The chosen model has auxiliary heads: only then is the aux-loss weight shown and sent. */
  const hasAuxOutputs = computed(() => selectedModel.value?.auxOutputs !== undefined);
  const validation = computed(() => validateTrainForm(form, { auxOutputs: hasAuxOutputs.value }));
  const recipe = computed(() => (form.preset === '' ? undefined : system.findRecipe(form.preset)));
  const recipeGroups = computed(() => groupRecipes(system.recipes, selectedModel.value));
  /** The recipe fields the form no longer matches (recorded as `preset.changed`). */
  const changedFromRecipe = computed(() => (recipe.value ? changedFromRecipeConfig(recipe.value.config, validation.value.input) : []));
  const changedFields = computed(() => changedFormFields(changedFromRecipe.value));
  /** Advanced fields with an error: the disclosure says so even when closed. */
  const advancedErrorCount = computed(() => Object.keys(fieldErrors.value).filter(isAdvancedField).length);
  const fieldErrors = computed<FieldErrors>(() => ({ ...hostErrors.value, ...validation.value.errors }));
  const isValid = computed(() => validation.value.ok);
  const isRunning = computed(() => status.value !== null && isActiveStatus(status.value));
  /** Null while unknown (checking, no model or dataset yet, or the host could not say). */
  const fit = ref<ModelFit | null>(null);
  const checkingFit = ref(false);
  const canStart = computed(
    () =>
      isValid.value && fit.value?.fits !== false && !checkingFit.value && !isRunning.value && !starting.value && !attaching.value && connection.state === 'connected',
  );
  /** Bumped by "start" with something in the way (Ctrl+Enter): the form shows and focuses the first problem. */
  const revealRequest = ref(0);
  const canStop = computed(() => isRunning.value && !stopping.value && runId.value !== null);
  const fraction = computed(() => {
    const p = progress.value;
    if (!p) return 0;
    if (p.totalSteps > 0) return Math.min(1, p.step / p.totalSteps);
    return p.epochs > 0 ? Math.min(1, p.epoch / p.epochs) : 0;
  });

  watch(
    () => ({ ...form }),
    (now, before) => {
      globalThis.localStorage?.setItem(FORM_STORAGE_KEY, JSON.stringify(now));
      // A host error is about the value that was sent; editing the field retires it.
      const next = { ...hostErrors.value };
      const edited = (Object.keys(now) as (keyof TrainForm)[]).filter((field) => now[field] !== before[field]);
      for (const field of edited) if (isFormField(field)) delete next[field];
      if (edited.some((field) => AUGMENTATION_FIELDS.includes(field))) delete next.augmentation;
      // A schedule's parameters belong to it: switching the schedule retires their errors too.
      if (now.schedule !== before.schedule) for (const field of SCHEDULE_PARAMETERS) delete next[field];
      hostErrors.value = next;
    },
  );

  /** Fills the form from a recipe ('' keeps the values and forgets the preset). */
  function applyRecipe(name: string): void {
    const chosen = name === '' ? undefined : system.findRecipe(name);
    if (!chosen) {
      form.preset = '';
      return;
    }
    Object.assign(form, recipeToForm(chosen));
    // A whole-run preset also picks its model, switches and (when imported) its dataset.
    if (chosen.run) {
      form.model = chosen.run.model;
      setModelOptions(chosen.run.model, chosen.run.modelOptions);
      if (system.findDataset(chosen.run.dataset)) form.dataset = chosen.run.dataset;
    }
    hostErrors.value = {};
    generalError.value = null;
  }

  function setModelOptions(model: string, options: ModelOptions): void {
    modelOptionsFor.value = model;
    chosenModelOptions.value = { ...options };
    globalThis.localStorage?.setItem(MODEL_OPTIONS_STORAGE_KEY, JSON.stringify({ model, options: chosenModelOptions.value }));
  }

  /** The Models screen's "Train this model": its variant and switches become the form's. */
  function useModel(name: string, options: ModelOptions = {}): void {
    form.model = name;
    setModelOptions(name, options);
    generalError.value = null;
  }

  /** Picks a model and dataset when the form has none the host knows (first load, removed model). */
  function ensureSelections(models: readonly ModelInfo[], datasets: readonly DatasetInfo[]): void {
    if (models.length > 0 && !models.some((model) => model.name === form.model)) {
      form.model = (models.find((model) => model.name === DEFAULT_MODEL) ?? models[0]).name;
    }
    if (datasets.length > 0 && !datasets.some((dataset) => dataset.id === form.dataset)) {
      form.dataset = (datasets.find((dataset) => dataset.id === DEFAULT_DATASET) ?? datasets[0]).id;
    }
  }

  const inspectAt = (model: string, dataset: DatasetInfo, options: ModelOptions) =>
    connection.call('models.inspect', { name: model, input: [...dataset.input], classes: dataset.classes.length, options });

  let fitRequest = 0;
  /** Asks the host whether the model builds at the dataset's input, and what would make it fit. */
  async function checkFit(): Promise<void> {
    const request = ++fitRequest;
    const model = selectedModel.value;
    const dataset = system.findDataset(form.dataset);
    const options = modelOptions.value;
    if (!model || !dataset || connection.state !== 'connected') {
      fit.value = null;
      checkingFit.value = false;
      return;
    }
    checkingFit.value = true;
    const result = await inspectAt(model.name, dataset, options);
    if (request !== fitRequest) return;
    const field = result.ok ? undefined : result.error.field;
    if (result.ok || (field !== 'input' && !field?.startsWith('options'))) {
      // Fits, or the host could not tell (then runs.start has the last word).
      fit.value = result.ok ? { fits: true } : null;
      checkingFit.value = false;
      return;
    }
    let fix: Extract<ModelFit, { fits: false }>['fix'] = null;
    if (field === 'input' && model.switches?.smallInput && options.smallInput !== true) {
      const adapted = await inspectAt(model.name, dataset, { ...options, smallInput: true });
      if (request !== fitRequest) return;
      if (adapted.ok) fix = { smallInput: true };
    }
    if (!fix && field === 'input' && model.name !== DEFAULT_MODEL && system.findModel(DEFAULT_MODEL)) {
      const fallback = await inspectAt(DEFAULT_MODEL, dataset, {});
      if (request !== fitRequest) return;
      if (fallback.ok) fix = { model: DEFAULT_MODEL };
    }
    fit.value = { fits: false, reason: field === 'input' ? 'tooSmall' : 'switches', detail: result.error.message, fix };
    checkingFit.value = false;
  }

  watch(
    () => [form.model, form.dataset, JSON.stringify(modelOptions.value), system.models.length, system.datasets.length, connection.state],
    () => void checkFit(),
    { immediate: true },
  );

  /** The fit notice's one-click fix. */
  function applyFit(): void {
    const current = fit.value;
    if (!current || current.fits || !current.fix) return;
    if ('smallInput' in current.fix) setModelOptions(form.model, { ...modelOptions.value, smallInput: true });
    else useModel(current.fix.model);
  }

  /** Start, or, when something is in the way, show it (the keyboard's Start: the button is disabled then). */
  function startOrReveal(): void {
    if (canStart.value) void start();
    else if (!isRunning.value && !starting.value) {
      if (advancedErrorCount.value > 0 && Object.keys(fieldErrors.value).every(isAdvancedField)) advancedOpen.value = true;
      revealRequest.value++;
    }
  }

  function bumpSeries(): void {
    seriesVersion.value++;
  }

  /** Where a run stands by runs.get: its worker's plan while it runs (a time budget changes the config's epochs), else its config. */
  function progressFromDetail(detail: RunDetail): TrainingProgress {
    return {
      epoch: detail.epochsDone,
      epochs: detail.config?.epochs ?? 0,
      step: detail.steps,
      stepsPerEpoch: 0,
      totalSteps: detail.config?.maxSteps ?? 0,
      imagesPerSec: 0,
      etaSeconds: null,
      ...(detail.threads ? { threads: detail.threads } : {}),
      ...detail.plan,
    };
  }

  /**
   * Follows run `id`: loads its history with runs.get, then applies the events that arrived
   * meanwhile, so nothing is lost or drawn twice.
   */
  async function attachRun(id: string, options: { adoptConfig?: boolean } = {}): Promise<void> {
    // Live numbers are kept across a resync of the same run, never carried over from another one.
    const resync = runId.value === id;
    runId.value = id;
    run.value = null;
    runError.value = null;
    attaching.value = true;
    buffered = [];
    clearMetricSeries(series);
    bumpSeries();
    const result = await connection.call('runs.get', { id });
    if (runId.value !== id) return;
    attaching.value = false;
    if (!result.ok) {
      generalError.value = { text: result.error.message };
      buffered = [];
      return;
    }
    const detail = result.value;
    run.value = { id: detail.id, model: detail.model, name: detail.name, modelOptions: detail.modelOptions };
    status.value = detail.status;
    runError.value = detail.error;
    if (options.adoptConfig && detail.config) {
      Object.assign(form, configToForm(detail.config));
      setModelOptions(detail.config.model, detail.config.modelOptions ?? {});
    }
    progress.value = { ...progressFromDetail(detail), ...(resync ? keepLive(progress.value) : {}) };
    appendMetrics(series, detail.metrics);
    const pending = buffered;
    buffered = [];
    pending.forEach(applyProgress);
    bumpSeries();
  }

  /** The live numbers that runs.get does not carry, kept across a resync. */
  function keepLive(current: TrainingProgress | null): Partial<TrainingProgress> {
    if (!current) return {};
    const { stepsPerEpoch, imagesPerSec, etaSeconds, epochs, totalSteps, threads } = current;
    return { stepsPerEpoch, imagesPerSec, etaSeconds, ...(epochs > 0 ? { epochs } : {}), ...(totalSteps > 0 ? { totalSteps } : {}), ...(threads ? { threads } : {}) };
  }

  function applyProgress(data: ProgressEvent): void {
    const { metrics, runId: _runId, ...numbers } = data;
    progress.value = numbers;
    if (status.value === 'queued' || status.value === null) status.value = 'running';
    if (appendMetrics(series, metrics) > 0) bumpSeries();
  }

  /** On load or after a reconnect: follow the run that is still going, if any. */
  async function reattach(): Promise<void> {
    if (runId.value && isRunning.value) return attachRun(runId.value);
    const result = await connection.call('runs.list', {});
    if (!result.ok) return;
    const running = result.value.find((run) => isActiveStatus(run.status));
    if (running && running.id !== runId.value) await attachRun(running.id, { adoptConfig: true });
    else if (runId.value) {
      const current = result.value.find((run) => run.id === runId.value);
      if (current) {
        status.value = current.status;
        runError.value = current.error;
      }
    }
  }

  async function start(): Promise<boolean> {
    const checked = validation.value;
    if (!checked.ok || fit.value?.fits === false || isRunning.value || starting.value) return false;
    starting.value = true;
    hostErrors.value = {};
    generalError.value = null;
    const preset = recipe.value ? { name: recipe.value.name, changed: changedFromRecipe.value } : undefined;
    const result = await connection.call('runs.start', { ...checked.config, modelOptions: modelOptions.value, ...(preset ? { preset } : {}) });
    starting.value = false;
    if (!result.ok) {
      const { field, message } = result.error;
      const formField = field === undefined ? undefined : fieldForPath(field);
      if (formField) {
        hostErrors.value = { [formField]: { text: message } };
        if (isAdvancedField(formField)) advancedOpen.value = true;
      } else generalError.value = { text: message };
      return false;
    }
    const summary = result.value;
    stopping.value = false;
    status.value = summary.status;
    progress.value = {
      epoch: 0,
      epochs: checked.config.epochs,
      step: 0,
      stepsPerEpoch: 0,
      totalSteps: checked.config.maxSteps ?? 0,
      imagesPerSec: 0,
      etaSeconds: null,
    };
    await attachRun(summary.id);
    return true;
  }

  async function stop(): Promise<boolean> {
    const id = runId.value;
    if (!id || !isRunning.value || stopping.value) return false;
    stopping.value = true;
    generalError.value = null;
    const result = await connection.call('runs.stop', { id });
    if (!result.ok) {
      stopping.value = false;
      generalError.value = { text: result.error.message };
      return false;
    }
    if (runId.value === id) status.value = result.value.status;
    if (!isRunning.value) stopping.value = false;
    return true;
  }

  /** "New run from this config" on the Runs screen: the form takes a saved run's settings. */
  function useConfig(config: TrainConfigInput): void {
    Object.assign(form, configToForm(config));
    setModelOptions(config.model, config.modelOptions ?? {});
    hostErrors.value = {};
    generalError.value = null;
  }

  function isIdle(): boolean {
    return !isRunning.value && !starting.value && !attaching.value;
  }

  function handleEvent(message: EventMessage): void {
    if (message.event === 'run.progress') {
      const data = message.data;
      if (data.runId !== runId.value) {
        // A run started elsewhere (another window, the CLI): follow it when this screen is idle.
        if (isIdle()) void attachRun(data.runId);
        return;
      }
      if (attaching.value) buffered.push(data);
      else applyProgress(data);
    } else if (message.event === 'run.status') {
      const data = message.data;
      if (data.runId === runId.value) {
        status.value = data.status;
        runError.value = data.error;
        if (!isActiveStatus(data.status)) {
          stopping.value = false;
          if (progress.value) progress.value = { ...progress.value, etaSeconds: null };
        }
      } else if (isActiveStatus(data.status) && isIdle()) {
        void attachRun(data.runId);
      }
    }
  }

  connection.onEvent(handleEvent);
  connection.onReconnect(() => void reattach());

  return {
    form,
    advancedOpen,
    advancedErrorCount,
    hasAuxOutputs,
    recipe,
    recipeGroups,
    changedFromRecipe,
    changedFields,
    applyRecipe,
    modelOptions,
    fieldErrors,
    hostErrors,
    generalError,
    isValid,
    runId,
    run,
    status,
    runError,
    progress,
    fraction,
    starting,
    stopping,
    attaching,
    isRunning,
    canStart,
    canStop,
    fit,
    checkingFit,
    applyFit,
    revealRequest,
    startOrReveal,
    series,
    seriesVersion,
    useModel,
    setModelOptions,
    ensureSelections,
    useConfig,
    attachRun,
    reattach,
    start,
    stop,
    handleEvent,
  };
});

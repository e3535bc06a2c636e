/**
 * `cvb train`: starts a run in this process's workbench (or resumes one with --resume RUN_ID) and
 * follows it to its end. --preset NAME starts from a paper recipe; flags given with it are recorded
 * as the preset's changed fields.
 */
import {
  DEFAULT_TRAIN_CONFIG,
  errorFromZod,
  TrainConfigSchema,
  type ApiError,
  type EventMessage,
  type RunStatus,
  type RecipeConfig,
  type RunSummary,
  type TrainConfig,
} from '../contract';
import { configFromRecipe, findRecipe, RECIPES } from '../train/recipes';
import { defineCommand } from './args';
import { describeBudget, fixed, invalid, percent, printJson, progressLine, UsageError } from './output';
import { numeric, switchValues } from './values';

/** Contract field → command-line flag, so errors name what the user typed. */
const FLAGS: Record<string, string> = {
  model: 'model',
  dataset: 'data',
  epochs: 'epochs',
  batchSize: 'batch-size',
  learningRate: 'lr',
  optimizer: 'optimizer',
  maxSteps: 'max-steps',
  maxMinutes: 'max-minutes',
  seed: 'seed',
  backend: 'backend',
  validationFraction: 'validation-fraction',
  momentum: 'momentum',
  nesterov: 'nesterov',
  weightDecay: 'weight-decay',
  epsilon: 'epsilon',
  schedule: 'schedule',
  warmupEpochs: 'warmup-epochs',
  labelSmoothing: 'label-smoothing',
  auxLossWeight: 'aux-weight',
  gradClipNorm: 'grad-clip',
  earlyStopping: 'early-stopping',
  bestMetric: 'monitor',
  preset: 'preset',
  perLayerGradNorms: 'grad-norms',
  threads: 'threads',
  dataParallel: 'data-parallel',
  checkpointMinutes: 'checkpoint-minutes',
};

/** Flags that shape one config field together with another flag. */
const SCHEDULE_FLAGS = ['milestones', 'gamma', 'step-epochs', 'min-lr'];
const BOOLEAN_FLAGS = ['nesterov', 'grad-norms', 'data-parallel'];

const TRAIN_OPTIONS = Object.fromEntries([
  ...Object.values(FLAGS).map((flag) => [flag, { type: BOOLEAN_FLAGS.includes(flag) ? ('boolean' as const) : ('string' as const) }]),
  ...SCHEDULE_FLAGS.map((flag) => [flag, { type: 'string' as const }]),
  ['resume', { type: 'string' as const }],
  ['option', { type: 'string' as const, multiple: true }],
]);

function asFlagError(error: ApiError): ApiError {
  const field = error.field?.split('.')[0];
  if (field === 'modelOptions') {
    const name = error.field!.split('.').slice(1).join('.');
    return { ...error, field: 'option', message: `--option ${name}: ${error.message.replace(/^modelOptions\.[\w.]+: /, '')}` };
  }
  if (!field || !FLAGS[field]) return error;
  const flag = FLAGS[field];
  return { ...error, field: flag, message: error.message.replace(new RegExp(`^${error.field!.replace(/\./g, '\\.')}:`), `--${flag}:`) };
}

/** --schedule NAME with --milestones 30,60 / --step-epochs N / --gamma X / --min-lr X. */
function scheduleFrom(v: Record<string, string | undefined>): Record<string, unknown> | undefined {
  if (v.schedule === undefined) {
    const stray = SCHEDULE_FLAGS.find((flag) => v[flag] !== undefined);
    if (stray) throw invalid(stray, `--${stray}: needs --schedule (constant, step, multistep, cosine or onecycle)`);
    return undefined;
  }
  const schedule: Record<string, unknown> = { type: v.schedule };
  if (v.milestones !== undefined) schedule.milestones = v.milestones.split(',').map((m) => numeric(m.trim()));
  if (v['step-epochs'] !== undefined) schedule.stepEpochs = numeric(v['step-epochs']);
  if (v.gamma !== undefined) schedule.gamma = numeric(v.gamma);
  if (v['min-lr'] !== undefined) schedule.minLearningRate = numeric(v['min-lr']);
  return schedule;
}

/** The run's config from the command line: a preset (--preset) with the flags on top, or the defaults. */
function parseTrainFlags(v: Record<string, string | undefined>, flags: Record<string, string | boolean | undefined>, options: string[] | undefined): TrainConfig {
  const recipe = v.preset === undefined ? undefined : findRecipe(v.preset);
  if (v.preset !== undefined && !recipe) throw invalid('preset', `--preset: unknown preset "${v.preset}"; presets: ${RECIPES.map((r) => r.name).join(', ')}`);
  if (!v.model && !recipe?.run) {
    throw new UsageError({ code: 'invalid_request', field: 'model', message: '--model: choose a network (see `cvb models`)' });
  }
  const early = numeric(v['early-stopping']);
  const fields: Record<string, unknown> = {
    epochs: numeric(v.epochs),
    batchSize: numeric(v['batch-size']),
    learningRate: numeric(v.lr),
    optimizer: v.optimizer,
    momentum: numeric(v.momentum),
    nesterov: flags.nesterov || undefined,
    weightDecay: numeric(v['weight-decay']),
    epsilon: numeric(v.epsilon),
    schedule: scheduleFrom(v),
    warmupEpochs: numeric(v['warmup-epochs']),
    labelSmoothing: numeric(v['label-smoothing']),
    auxLossWeight: numeric(v['aux-weight']),
    gradClipNorm: numeric(v['grad-clip']),
    maxMinutes: numeric(v['max-minutes']),
  };
  const common = {
    maxSteps: numeric(v['max-steps']),
    seed: numeric(v.seed),
    backend: v.backend,
    validationFraction: numeric(v['validation-fraction']),
    earlyStopping: early === undefined ? undefined : { patience: early, ...(v.monitor ? { metric: v.monitor } : {}) },
    bestMetric: v.monitor,
    perLayerGradNorms: flags['grad-norms'] || undefined,
    threads: numeric(v.threads),
    dataParallel: flags['data-parallel'] || undefined,
    checkpointMinutes: numeric(v['checkpoint-minutes']),
  };
  const defined = (record: Record<string, unknown>) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
  const switches = switchValues(options);
  let input: Record<string, unknown>;
  if (recipe) {
    input = configFromRecipe(recipe, { model: v.model, dataset: v.data, modelOptions: switches }, fields as Partial<RecipeConfig>) as Record<string, unknown>;
    Object.assign(input, defined(common));
  } else {
    input = {
      ...common,
      model: v.model,
      dataset: v.data ?? DEFAULT_TRAIN_CONFIG.dataset,
      modelOptions: switches,
      ...fields,
      epochs: fields.epochs ?? DEFAULT_TRAIN_CONFIG.epochs,
      batchSize: fields.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize,
      learningRate: fields.learningRate ?? DEFAULT_TRAIN_CONFIG.learningRate,
      optimizer: fields.optimizer ?? DEFAULT_TRAIN_CONFIG.optimizer,
    };
  }
  const given = defined(input);
  const parsed = TrainConfigSchema.safeParse(given);
  if (!parsed.success) throw new UsageError(asFlagError(errorFromZod(parsed.error, given)));
  return parsed.data;
}

export const trainCommand = defineCommand(TRAIN_OPTIONS, false, async (context, { values }) => {
  const v = values as Record<string, string | undefined>;
  const flags = values as Record<string, string | boolean | undefined>;
  const resumeId = v.resume;
  let config: TrainConfig | null = null;
  if (resumeId !== undefined) {
    const other = Object.keys(FLAGS).map((field) => FLAGS[field]).concat(SCHEDULE_FLAGS).find((flag) => flags[flag] !== undefined && flags[flag] !== false);
    const changed = other ?? ((values as { option?: string[] }).option?.length ? 'option' : undefined);
    if (changed) throw invalid(changed, `--${changed}: a resumed run keeps its own settings; use --resume alone`);
  } else {
    config = parseTrainFlags(v, flags, (values as { option?: string[] }).option);
  }

  const workbench = await context.open('cli');
  const buffered: EventMessage[] = [];
  let runId: string | null = null;
  let finish!: (status: RunStatus, error: string | null) => void;
  const ended = new Promise<{ status: RunStatus; error: string | null }>((resolve) => {
    finish = (status, error) => resolve({ status, error });
  });

  const line = progressLine(process.stdout);
  const handle = (message: EventMessage) => {
    if (!('runId' in message.data) || message.data.runId !== runId) return;
    if (message.event === 'run.progress') {
      for (const metric of message.data.metrics) {
        if (context.json) printJson({ event: metric.type, runId, ...metric });
        else if (metric.type === 'epoch') {
          line.clear();
          process.stdout.write(
            `epoch ${metric.epoch}: train loss ${fixed(metric.trainLoss)} acc ${percent(metric.trainAccuracy)}, val loss ${fixed(metric.valLoss)} acc ${percent(metric.valAccuracy)}\n`,
          );
        }
      }
      if (!context.json) {
        const p = message.data;
        const eta = p.etaSeconds === null ? '' : `, ${Math.ceil(p.etaSeconds)} s left`;
        line.update(`step ${p.step}/${p.totalSteps}  epoch ${p.epoch}/${p.epochs}  ${p.imagesPerSec.toFixed(1)} images/s${eta}`);
      }
    } else if (message.event === 'run.status' && ['completed', 'stopped', 'failed'].includes(message.data.status)) {
      finish(message.data.status, message.data.error);
    }
  };
  workbench.onEvent((message) => (runId ? handle(message) : buffered.push(message)));

  const started = config ? await workbench.request('runs.start', config) : await workbench.request('runs.resume', { id: resumeId });
  if (!started.ok) {
    await workbench.close();
    const preset = config?.preset ? findRecipe(config.preset.name) : undefined;
    if (started.error.field === 'dataset' && v.data === undefined && preset?.run) {
      // The preset chose the dataset: say where it comes from.
      throw new UsageError(asFlagError({ ...started.error, message: `${started.error.message}. Preset "${preset.name}" trains on ${preset.data}` }));
    }
    throw new UsageError(asFlagError(started.error));
  }
  const run = started.value as RunSummary;
  runId = run.id;
  if (context.json) printJson({ event: config ? 'start' : 'resume', runId, model: run.model, dataset: run.dataset, home: context.home });
  else process.stdout.write(`run ${runId}: ${config ? 'training' : 'resuming'} ${run.model} on ${run.dataset} (Ctrl+C stops and keeps the checkpoint)\n`);
  buffered.splice(0).forEach(handle);

  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    void workbench.request('runs.stop', { id: runId });
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  const { status, error } = await ended;
  process.off('SIGINT', onInterrupt);
  process.off('SIGTERM', onInterrupt);
  const detail = await workbench.request('runs.get', { id: runId });
  const final = detail.ok ? (detail.value as RunSummary) : null;
  await workbench.close();
  if (context.json) {
    printJson({
      event: 'end', runId, status, steps: final?.steps ?? null, epochs: final?.epochsDone ?? null, final: final?.final ?? null, backend: final?.backend ?? null, error,
      ...(final?.budget ? { budget: final.budget } : {}),
    });
  } else {
    line.clear();
    if (final?.budget) process.stdout.write(`${describeBudget(final.budget)}\n`);
    process.stdout.write(`run ${runId} ${status}${error ? `: ${error}` : ''}\n`);
  }
  return status === 'failed' ? 1 : 0;
});

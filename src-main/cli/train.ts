/** `cvb train`: starts a run in this process's workbench and follows it to its end. */
import {
  DEFAULT_TRAIN_CONFIG,
  errorFromZod,
  TrainConfigSchema,
  type ApiError,
  type EventMessage,
  type RunStatus,
  type RunSummary,
} from '../contract';
import type { CommandContext } from './main';
import { parseCommandArgs } from './main';
import { fixed, percent, printJson, UsageError } from './output';

/** Contract field → command-line flag, so errors name what the user typed. */
const FLAGS: Record<string, string> = {
  model: 'model',
  dataset: 'data',
  epochs: 'epochs',
  batchSize: 'batch-size',
  learningRate: 'lr',
  optimizer: 'optimizer',
  maxSteps: 'max-steps',
  seed: 'seed',
  backend: 'backend',
  validationFraction: 'validation-fraction',
};

const TRAIN_OPTIONS = Object.fromEntries(Object.values(FLAGS).map((flag) => [flag, { type: 'string' as const }]));

/** Numbers stay numbers; anything else is passed on as typed so the error can show it. */
function numeric(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text.trim()) ? Number(text) : text;
}

function asFlagError(error: ApiError): ApiError {
  if (!error.field || !FLAGS[error.field]) return error;
  const flag = FLAGS[error.field];
  return { ...error, field: flag, message: error.message.replace(new RegExp(`^${error.field}:`), `--${flag}:`) };
}

export async function trainCommand(context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(context.args, TRAIN_OPTIONS, false);
  const v = values as Record<string, string | undefined>;
  if (!v.model) {
    throw new UsageError({ code: 'invalid_request', field: 'model', message: '--model: choose a network (see `cvb models`)' });
  }
  const input = Object.fromEntries(
    Object.entries({
      model: v.model,
      dataset: v.data ?? DEFAULT_TRAIN_CONFIG.dataset,
      epochs: numeric(v.epochs) ?? DEFAULT_TRAIN_CONFIG.epochs,
      batchSize: numeric(v['batch-size']) ?? DEFAULT_TRAIN_CONFIG.batchSize,
      learningRate: numeric(v.lr) ?? DEFAULT_TRAIN_CONFIG.learningRate,
      optimizer: v.optimizer ?? DEFAULT_TRAIN_CONFIG.optimizer,
      maxSteps: numeric(v['max-steps']),
      seed: numeric(v.seed),
      backend: v.backend,
      validationFraction: numeric(v['validation-fraction']),
    }).filter(([, value]) => value !== undefined),
  );
  const parsed = TrainConfigSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(asFlagError(errorFromZod(parsed.error, input)));

  const workbench = await context.open('cli');
  const buffered: EventMessage[] = [];
  let runId: string | null = null;
  let finish!: (status: RunStatus, error: string | null) => void;
  const ended = new Promise<{ status: RunStatus; error: string | null }>((resolve) => {
    finish = (status, error) => resolve({ status, error });
  });

  const handle = (message: EventMessage) => {
    if (message.data.runId !== runId) return;
    if (message.event === 'run.progress') {
      for (const metric of message.data.metrics) {
        if (context.json) printJson({ event: metric.type, runId, ...metric });
        else if (metric.type === 'epoch') {
          process.stdout.write(
            `\repoch ${metric.epoch}: train loss ${fixed(metric.trainLoss)} acc ${percent(metric.trainAccuracy)}, val loss ${fixed(metric.valLoss)} acc ${percent(metric.valAccuracy)}\n`,
          );
        }
      }
      if (!context.json) {
        const p = message.data;
        const eta = p.etaSeconds === null ? '' : `, ${Math.ceil(p.etaSeconds)} s left`;
        process.stdout.write(`\rstep ${p.step}/${p.totalSteps}  epoch ${p.epoch}/${p.epochs}  ${p.imagesPerSec.toFixed(1)} images/s${eta}   `);
      }
    } else if (message.event === 'run.status' && ['completed', 'stopped', 'failed'].includes(message.data.status)) {
      finish(message.data.status, message.data.error);
    }
  };
  workbench.onEvent((message) => (runId ? handle(message) : buffered.push(message)));

  const started = await workbench.request('runs.start', parsed.data);
  if (!started.ok) {
    await workbench.close();
    throw new UsageError(asFlagError(started.error));
  }
  const run = started.value as RunSummary;
  runId = run.id;
  if (context.json) printJson({ event: 'start', runId, model: run.model, dataset: run.dataset, home: context.home });
  else process.stdout.write(`run ${runId}: training ${run.model} on ${run.dataset} (Ctrl+C stops and keeps the checkpoint)\n`);
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
    printJson({ event: 'end', runId, status, steps: final?.steps ?? null, epochs: final?.epochsDone ?? null, final: final?.final ?? null, backend: final?.backend ?? null, error });
  } else {
    process.stdout.write(`\nrun ${runId} ${status}${error ? `: ${error}` : ''}\n`);
  }
  return status === 'failed' ? 1 : 0;
}

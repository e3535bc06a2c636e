/**
 * `cvb experiment`: N seeds × N arms over ordinary runs, with error bars and a verdict.
 *   experiment run --model NAME|--base RUN_ID --vary SWITCH=v1,v2 [--seeds N] [--max-steps N]
 *   experiment run --builtin NAME [--seeds N] [--max-steps N]
 *   experiment list | show ID | stop ID | resume ID | extend ID --seeds N | delete ID
 *   experiment builtin | report ID [--format html|csv] [--out PATH]
 *   experiment export ID --kind pytorch [--out DIR]   one PyTorch DDP job per arm and seed (issue 14)
 *   experiment import DIR                             the jobs folder after its jobs ran: the experiment comes home
 * `run`, `resume` and `extend` follow the experiment to its end in this process (Ctrl+C stops it;
 * `resume` continues it, interrupted runs from their checkpoints).
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_TRAIN_CONFIG,
  type ApiError,
  type EventMessage,
  type ExperimentDetail,
  type ExperimentStatus,
  type ExperimentSummary,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '../contract';
import type { Workbench } from '../core/workbench';
import { defineCommand, type CommandContext } from './args';
import { invalid, printJson, table, UsageError } from './output';
import { numeric, switchValue, switchValues } from './values';

const OPTIONS = {
  builtin: { type: 'string' },
  base: { type: 'string' },
  model: { type: 'string' },
  data: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  seed: { type: 'string' },
  option: { type: 'string', multiple: true },
  vary: { type: 'string' },
  seeds: { type: 'string' },
  'max-steps': { type: 'string' },
  name: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  kind: { type: 'string' },
} as const;

const ACTIONS = ['run', 'list', 'show', 'stop', 'resume', 'extend', 'delete', 'builtin', 'report', 'export', 'import'];
const EXPORT_KINDS = ['pytorch'];
const ENDED: readonly ExperimentStatus[] = ['completed', 'failed', 'stopped'];

/** Request field → flag, so that an error names what the user typed. */
const FLAGS: Record<string, string> = {
  builtin: 'builtin',
  baseRunId: 'base',
  vary: 'vary',
  seeds: 'seeds',
  maxSteps: 'max-steps',
  name: 'name',
  'base.model': 'model',
  'base.dataset': 'data',
  'base.epochs': 'epochs',
  'base.batchSize': 'batch-size',
  'base.learningRate': 'lr',
  'base.optimizer': 'optimizer',
  'base.seed': 'seed',
  'base.modelOptions': 'option',
};

function asFlagError(error: ApiError): ApiError {
  if (!error.field) return error;
  const key = Object.keys(FLAGS)
    .sort((a, b) => b.length - a.length)
    .find((field) => error.field === field || error.field!.startsWith(`${field}.`));
  if (!key) return error;
  const flag = FLAGS[key];
  return { ...error, field: flag, message: `--${flag}: ${error.message.replace(/^[\w.]+: /, '')}` };
}

async function call<M extends MethodName>(workbench: Workbench, method: M, params: RequestOf<M>): Promise<ResponseOf<M>> {
  const result = await workbench.request(method, params);
  if (!result.ok) throw new UsageError(asFlagError(result.error));
  return result.value as ResponseOf<M>;
}

/** --vary activation=relu,sigmoid → { field, values } with typed values. */
function parseVary(text: string): { field: string; values: unknown[] } {
  const match = /^([A-Za-z][\w]*)=(.*)$/.exec(text);
  if (!match) throw invalid('vary', `--vary: expected SWITCH=v1,v2 (e.g. activation=relu,sigmoid); got "${text}"`);
  return { field: match[1], values: match[2].split(',').map((value) => switchValue(value.trim())) };
}

function createRequest(v: Record<string, string | undefined>, options: string[] | undefined): Record<string, unknown> {
  const common = { seeds: numeric(v.seeds), maxSteps: numeric(v['max-steps']), name: v.name };
  if (v.builtin !== undefined) {
    const extra = ['base', 'model', 'vary', 'data', 'epochs', 'batch-size', 'lr', 'optimizer', 'seed'].find((flag) => v[flag] !== undefined);
    if (extra || options?.length) throw invalid(extra ?? 'option', `--${extra ?? 'option'}: a built-in experiment brings its own settings; use --builtin with --seeds and --max-steps only`);
    return { builtin: v.builtin, ...common };
  }
  if (v.vary === undefined) throw invalid('vary', '--vary: name a switch or hyperparameter and 2 to 6 values (e.g. --vary activation=relu,sigmoid)');
  const vary = parseVary(v.vary);
  if (v.base !== undefined) {
    const extra = ['model', 'data', 'epochs', 'batch-size', 'lr', 'optimizer', 'seed'].find((flag) => v[flag] !== undefined);
    if (extra || options?.length) throw invalid(extra ?? 'option', `--${extra ?? 'option'}: the base run brings its own settings; give --base with --vary, --seeds and --max-steps only`);
    return { baseRunId: v.base, vary, ...common };
  }
  if (v.model === undefined) throw invalid('model', '--model: give a network (see `cvb models`), --base RUN_ID or --builtin NAME');
  const base = {
    ...DEFAULT_TRAIN_CONFIG,
    model: v.model,
    dataset: v.data ?? DEFAULT_TRAIN_CONFIG.dataset,
    epochs: numeric(v.epochs) ?? DEFAULT_TRAIN_CONFIG.epochs,
    batchSize: numeric(v['batch-size']) ?? DEFAULT_TRAIN_CONFIG.batchSize,
    learningRate: numeric(v.lr) ?? DEFAULT_TRAIN_CONFIG.learningRate,
    optimizer: v.optimizer ?? DEFAULT_TRAIN_CONFIG.optimizer,
    modelOptions: switchValues(options),
    ...(v.seed !== undefined ? { seed: numeric(v.seed) } : {}),
  };
  return { base, vary, ...common };
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function percentCell(value: number | null, accuracy: boolean): string {
  if (value === null) return '-';
  return accuracy ? `${(value * 100).toFixed(2)}` : value.toFixed(4);
}

function printDetail(detail: ExperimentDetail): void {
  const accuracy = detail.metric.endsWith('Accuracy');
  process.stdout.write(`${detail.id}  ${detail.name}  (${detail.status}, ${detail.done}/${detail.total} runs)\n`);
  process.stdout.write(`${detail.model} on ${detail.dataset}, ${detail.vary.field} over ${detail.vary.values.join(', ')}, ${detail.seeds} seeds, ${detail.metric}${accuracy ? ' (%)' : ''}\n\n`);
  const rows = detail.arms.map((arm) => [
    String(arm.value),
    arm.runs.length,
    percentCell(arm.final.mean, accuracy),
    percentCell(arm.final.std, accuracy),
    arm.final.ci95 ? `${percentCell(arm.final.ci95[0], accuracy)} to ${percentCell(arm.final.ci95[1], accuracy)}` : '-',
    percentCell(arm.best.mean, accuracy),
  ]);
  process.stdout.write(`${table(['arm', 'runs', 'final mean', 'std', '95% CI', 'best mean'], rows)}\n\n`);
  for (const difference of detail.differences) process.stdout.write(`${difference.verdict}\n`);
  for (const claim of detail.claims) process.stdout.write(`paper: ${claim.en}\n`);
}

/** Follows an experiment until it ends; Ctrl+C stops it (its running run keeps its checkpoint). */
async function follow(context: CommandContext, workbench: Workbench, id: string): Promise<ExperimentStatus> {
  let finish!: (status: ExperimentStatus) => void;
  const ended = new Promise<ExperimentStatus>((resolve) => (finish = resolve));
  let last = '';
  const onEvent = (message: EventMessage) => {
    if (message.event === 'experiment.status' && message.data.id === id) {
      if (context.json) printJson({ event: 'experiment', ...message.data });
      else process.stdout.write(`\r${' '.repeat(last.length)}\r${message.data.done}/${message.data.total} runs done (${message.data.status})\n`);
      if (ENDED.includes(message.data.status)) finish(message.data.status);
    } else if (message.event === 'run.progress' && !context.json) {
      const p = message.data;
      last = `run ${p.runId}: step ${p.step}/${p.totalSteps}, ${p.imagesPerSec.toFixed(0)} images/s`;
      process.stdout.write(`\r${last}`);
    }
  };
  const unsubscribe = workbench.onEvent(onEvent);
  const current = await call(workbench, 'experiments.get', { id });
  if (ENDED.includes(current.status)) finish(current.status);
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    void workbench.request('experiments.stop', { id });
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const status = await ended;
  process.off('SIGINT', onInterrupt);
  process.off('SIGTERM', onInterrupt);
  unsubscribe();
  return status;
}

async function followAndPrint(context: CommandContext, workbench: Workbench, summary: ExperimentSummary): Promise<number> {
  if (context.json) printJson({ event: 'start', id: summary.id, name: summary.name, total: summary.total, home: context.home });
  else process.stdout.write(`experiment ${summary.id}: ${summary.name}, ${summary.total} runs (Ctrl+C stops; \`cvb experiment resume ${summary.id}\` continues)\n`);
  const status = await follow(context, workbench, summary.id);
  const detail = await call(workbench, 'experiments.get', { id: summary.id });
  if (context.json) printJson({ event: 'end', ...detail });
  else {
    process.stdout.write('\n');
    printDetail(detail);
  }
  return status === 'failed' ? 1 : 0;
}

export const experimentCommand = defineCommand(OPTIONS, true, async (context, { positionals, values }) => {
  const { option: options, json: _json, help: _help, ...v } = values;
  const [action = 'list', id, ...extra] = positionals;
  if (!ACTIONS.includes(action)) throw invalid('action', `experiment: unknown action "${action}"; use ${ACTIONS.join(', ')}`);
  if (extra.length) throw invalid(undefined, `unexpected arguments: ${extra.join(' ')}`);
  const needsId = !['run', 'list', 'builtin'].includes(action);
  if (action === 'import' && !id) throw invalid('folder', "experiment import: give the experiment's jobs folder (the one `experiment export` wrote, with runs/ from its jobs)");
  if (action === 'import' && !existsSync(id!)) throw invalid('folder', `experiment import: no folder at ${id}`);
  if (needsId && !id) throw invalid('id', `experiment ${action}: give an experiment id (see \`cvb experiment list\`)`);
  if (!needsId && id) throw invalid(undefined, `unexpected argument: ${id}`);
  if (v.format !== undefined && !['html', 'csv'].includes(v.format)) throw invalid('format', `--format must be html or csv (received "${v.format}")`);
  const request = action === 'run' ? withoutUndefined(createRequest(v, options)) : null;
  if (action === 'export' && v.kind === undefined) throw invalid('kind', `--kind: what to export the experiment as: ${EXPORT_KINDS.join(', ')} (its report is \`experiment report ID\`)`);
  if (v.kind !== undefined && (action !== 'export' || !EXPORT_KINDS.includes(v.kind))) {
    throw invalid('kind', action === 'export' ? `--kind must be ${EXPORT_KINDS.join(', ')} (received "${v.kind}")` : `--kind: only \`experiment export\` takes a kind (received "${v.kind}")`);
  }
  if (action === 'extend' && v.seeds === undefined) throw invalid('seeds', '--seeds: how many seeds to add to every arm');

  const workbench = await context.open('cli');
  try {
    switch (action) {
      case 'run': {
        const summary = await call(workbench, 'experiments.create', request as RequestOf<'experiments.create'>);
        return await followAndPrint(context, workbench, summary);
      }
      case 'resume':
        return await followAndPrint(context, workbench, await call(workbench, 'experiments.resume', { id: id! }));
      case 'extend':
        return await followAndPrint(context, workbench, await call(workbench, 'experiments.extend', { id: id!, seeds: numeric(v.seeds) as number }));
      case 'list': {
        const list = await call(workbench, 'experiments.list', {});
        if (context.json) printJson(list);
        else process.stdout.write(`${table(['id', 'name', 'status', 'runs', 'verdict'], list.map((e) => [e.id, e.name, e.status, `${e.done}/${e.total}`, e.verdict ?? '']))}\n`);
        return 0;
      }
      case 'show': {
        const detail = await call(workbench, 'experiments.get', { id: id! });
        if (context.json) printJson(detail);
        else printDetail(detail);
        return 0;
      }
      case 'stop': {
        const summary = await call(workbench, 'experiments.stop', { id: id! });
        if (context.json) printJson(summary);
        else process.stdout.write(`experiment ${id} stopped (${summary.done}/${summary.total} runs done)\n`);
        return 0;
      }
      case 'delete': {
        await call(workbench, 'experiments.delete', { id: id! });
        if (context.json) printJson({ id });
        else process.stdout.write(`experiment ${id} and its runs deleted\n`);
        return 0;
      }
      case 'builtin': {
        const list = await call(workbench, 'experiments.builtin', {});
        if (context.json) printJson(list);
        else process.stdout.write(`${table(['name', 'idea', 'varies', 'runs (3 seeds)'], list.map((b) => [b.name, b.title, `${b.vary.field}: ${b.vary.values.join(', ')}`, b.runs]))}\n`);
        return 0;
      }
      case 'export': {
        const jobs = await call(workbench, 'experiments.exportJobs', { id: id!, out: v.out === undefined ? undefined : resolve(v.out) });
        if (context.json) printJson(jobs);
        else {
          process.stdout.write(`${jobs.path}  (${jobs.tasks} jobs: ${jobs.arms.length} arms × ${jobs.tasks / jobs.arms.length} seeds)\n`);
          process.stdout.write(`${table(['arm', 'trainable parameters'], jobs.arms.map((arm) => [String(arm.value), arm.trainableParameters.toLocaleString('en-US')]))}\n`);
          process.stdout.write(`launch: ${join(jobs.path, 'run_all.sh')} [N] (one machine) or sbatch slurm_array.sbatch (Slurm); bring it back: cvb experiment import ${jobs.path}\n`);
        }
        return 0;
      }
      case 'import': {
        const imported = await call(workbench, 'experiments.import', { source: { path: resolve(id!) } });
        if (context.json) {
          printJson(imported);
          return 0;
        }
        process.stdout.write(`imported experiment ${imported.id}: ${imported.imported.length} of ${imported.total} runs`);
        process.stdout.write(imported.missing.length ? ` (no results yet: ${imported.missing.join(', ')}; \`experiment resume ${imported.id}\` trains them here)\n\n` : '\n\n');
        printDetail(await call(workbench, 'experiments.get', { id: imported.id }));
        return 0;
      }
      default: {
        const report = await call(workbench, 'experiments.report', { id: id!, format: (v.format ?? 'html') as 'html' | 'csv' });
        const path = v.out ? resolve(v.out) : report.path;
        if (v.out) copyFileSync(report.path, path);
        if (context.json) printJson({ path, bytes: report.bytes });
        else process.stdout.write(`${path} (${report.bytes} bytes)\n`);
        return 0;
      }
    }
  } finally {
    await workbench.close();
  }
});

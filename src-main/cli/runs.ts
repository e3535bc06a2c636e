/**
 * `cvb runs`: the saved runs, as the Runs screen shows them.
 *   runs list [--json]
 *   runs show ID [--json]
 *   runs update ID [--name TEXT] [--notes TEXT] [--tags a,b] [--star | --unstar]
 *   runs delete ID
 *   runs export ID [--kind archive|model|metrics] [--checkpoint best|last] [--out PATH]
 *   runs export ID --kind pytorch [--out DIR]      a PyTorch DDP job folder (issue 14)
 *   runs import FILE|FOLDER                         an archive, or a run folder (a PyTorch job's)
 */
import { cpSync, existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MethodName, RequestOf, ResponseOf, RunDetail, RunExportResponse, RunSummary } from '../contract';
import type { Workbench } from '../core/workbench';
import { defineCommand } from './args';
import { describeBudget, fixed, invalid, percent, printJson, table, UsageError } from './output';

const OPTIONS = {
  name: { type: 'string' },
  notes: { type: 'string' },
  tags: { type: 'string' },
  star: { type: 'boolean' },
  unstar: { type: 'boolean' },
  kind: { type: 'string' },
  checkpoint: { type: 'string' },
  out: { type: 'string' },
} as const;

const ACTIONS = ['list', 'show', 'update', 'delete', 'export', 'import'];

async function call<M extends MethodName>(workbench: Workbench, method: M, params: RequestOf<M>): Promise<ResponseOf<M>> {
  const result = await workbench.request(method, params);
  if (!result.ok) throw new UsageError(result.error);
  return result.value as ResponseOf<M>;
}

function label(run: RunSummary): string {
  return `${run.starred ? '★ ' : ''}${run.name ?? ''}`;
}

export const runsCommand = defineCommand(OPTIONS, true, async (context, { positionals, values }) => {
  const [action = 'list', id, ...extra] = positionals;
  if (!ACTIONS.includes(action)) throw invalid('action', `runs: unknown action "${action}"; use ${ACTIONS.join(', ')}`);
  if (extra.length) throw invalid(undefined, `unexpected arguments: ${extra.join(' ')}`);
  if (action !== 'list' && !id) {
    throw invalid(action === 'import' ? 'file' : 'id', action === 'import' ? 'runs import: give the archive file (.cvbrun.tar.gz) or a run folder' : `runs ${action}: give a run id (see \`cvb runs list\`)`);
  }
  if (values.star && values.unstar) throw invalid('star', '--star and --unstar contradict each other');
  if (values.kind !== undefined && !['archive', 'model', 'metrics', 'pytorch'].includes(values.kind)) {
    throw invalid('kind', `--kind must be archive, model, metrics or pytorch (received "${values.kind}")`);
  }
  if (values.kind === 'pytorch' && values.checkpoint !== undefined) throw invalid('checkpoint', '--checkpoint: a PyTorch job trains from the start; it takes no checkpoint');
  if (values.checkpoint !== undefined && !['best', 'last'].includes(values.checkpoint)) {
    throw invalid('checkpoint', `--checkpoint must be best or last (received "${values.checkpoint}")`);
  }
  if (action === 'import' && !existsSync(id!)) throw invalid('file', `runs import: no file or folder at ${id}`);
  const workbench = await context.open('cli');
  try {
    if (action === 'list') {
      const runs = await call(workbench, 'runs.list', {});
      if (context.json) printJson(runs);
      else if (runs.length === 0) process.stdout.write('no runs yet: start one with `cvb train --model resnet20`\n');
      else {
        process.stdout.write(
          `${table(
            ['ID', 'NAME', 'MODEL', 'SWITCHES', 'DATASET', 'STATUS', 'STEPS', 'VAL ACC', 'BEST', 'TEST ACC', 'TAGS', 'CREATED'],
            runs.map((r) => [
              r.id,
              label(r),
              r.model,
              Object.entries(r.modelOptions ?? {}).map(([name, value]) => `${name}=${String(value)}`).join(',') || '-',
              r.dataset,
              r.damaged ? `damaged: ${r.damaged}` : r.status,
              r.steps,
              percent(r.final.valAccuracy),
              r.best?.score == null ? '-' : r.best.metric === 'valAccuracy' ? percent(r.best.score) : fixed(r.best.score),
              percent(r.test?.accuracy ?? null),
              (r.tags ?? []).join(','),
              r.createdAt,
            ]),
          )}\n`,
        );
      }
      return 0;
    }
    if (action === 'show') {
      const run: RunDetail = await call(workbench, 'runs.get', { id: id! });
      if (context.json) printJson(run);
      else {
        const epochs = run.metrics.filter((m) => m.type === 'epoch');
        process.stdout.write(`${run.id}${run.name ? ` "${run.name}"` : ''}  ${run.model} on ${run.dataset}  ${run.status}${run.error ? ` (${run.error})` : ''}\n`);
        const split = run.config?.dataParallel && (run.threads ?? 1) > 1 ? ', each batch split across them' : '';
        const threads = run.threads ? `, ${run.threads} thread${run.threads === 1 ? '' : 's'}${split}` : '';
        process.stdout.write(`backend ${run.backend ?? '-'}${threads}, ${run.steps} steps, created ${run.createdAt}\n`);
        if (run.budget) process.stdout.write(`${describeBudget(run.budget)}\n`);
        if (run.tags?.length) process.stdout.write(`tags ${run.tags.join(', ')}\n`);
        if (run.notes) process.stdout.write(`notes: ${run.notes}\n`);
        if (epochs.length) {
          process.stdout.write(
            `${table(
              ['EPOCH', 'TRAIN LOSS', 'TRAIN ACC', 'VAL LOSS', 'VAL ACC'],
              epochs.map((m) => (m.type === 'epoch' ? [m.epoch, fixed(m.trainLoss), percent(m.trainAccuracy), fixed(m.valLoss), percent(m.valAccuracy)] : [])),
            )}\n`,
          );
        }
      }
      return 0;
    }
    if (action === 'update') {
      const tags = values.tags === undefined ? undefined : values.tags.split(',').map((tag) => tag.trim()).filter(Boolean);
      const starred = values.star ? true : values.unstar ? false : undefined;
      const updated = await call(workbench, 'runs.update', { id: id!, name: values.name, notes: values.notes, tags, starred });
      if (context.json) printJson(updated);
      else process.stdout.write(`updated ${updated.id}${updated.name ? ` "${updated.name}"` : ''}\n`);
      return 0;
    }
    if (action === 'delete') {
      const deleted = await call(workbench, 'runs.delete', { id: id! });
      if (context.json) printJson(deleted);
      else process.stdout.write(`deleted ${deleted.id}\n`);
      return 0;
    }
    if (action === 'export' && values.kind === 'pytorch') {
      const job = await call(workbench, 'runs.exportJob', { id: id!, out: values.out === undefined ? undefined : resolve(values.out) });
      if (context.json) printJson(job);
      else {
        process.stdout.write(`${job.path}  (${job.files.join(', ')}; ${job.trainableParameters.toLocaleString('en-US')} trainable parameters)\n`);
        process.stdout.write(`launch: torchrun --standalone --nproc_per_node=N ${join(job.path, 'train.py')}; bring it back: cvb runs import <its runs/ID folder>\n`);
      }
      return 0;
    }
    if (action === 'export') {
      const kind = (values.kind ?? 'archive') as 'archive' | 'model' | 'metrics';
      const exported: RunExportResponse = await call(workbench, 'runs.export', { id: id!, kind, checkpoint: values.checkpoint as 'best' | 'last' | undefined });
      let path = exported.path;
      if (values.out) {
        path = resolve(values.out);
        // A folder given as --out receives the export under its own name.
        if (existsSync(path) && statSync(path).isDirectory()) path = resolve(path, exported.path.split(/[\\/]/).pop()!);
        if (path !== exported.path) {
          cpSync(exported.path, path, { recursive: true, force: true });
          rmSync(exported.path, { recursive: true, force: true });
        }
      }
      if (context.json) printJson({ ...exported, path });
      else process.stdout.write(`${path}  (${exported.bytes} bytes)\n`);
      return 0;
    }
    const imported = await call(workbench, 'runs.import', { source: { path: resolve(id!) } });
    if (context.json) printJson(imported);
    else process.stdout.write(`imported ${imported.id}  ${imported.model} on ${imported.dataset}  ${imported.status}\n`);
    return 0;
  } finally {
    await workbench.close();
  }
});

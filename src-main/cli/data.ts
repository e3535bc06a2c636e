/**
 * `cvb data`: the datasets, as the Datasets screen shows them.
 *   cvb data import PATH [--name NAME] [--size N] [--resize squash|crop|pad] [--channels auto|1|3]
 *                        [--background white|black] [--val-fraction X] [--test-fraction X] [--seed N]
 *     --test-fraction defaults to 0.1 (stratified, seeded) for a source without a test split; 0 for none.
 *   cvb data import --catalog NAME [PATH]     download a standard dataset, or import a local copy
 *   cvb data list | show ID | delete ID | catalog
 * With --json, `import` prints {id, name, classes, counts: {train, val, test}, skipped: [{path, reason}], ...}.
 */
import { resolve } from 'node:path';
import type { CatalogEntryInfo, DatasetDetail, DatasetImportResult, DatasetInfo, EventMessage, RequestOf } from '../contract';
import { defineCommand, type CommandContext, type ParsedArgs } from './args';
import { invalid, printJson, progressLine, table, UsageError } from './output';

const IMPORT_OPTIONS = {
  name: { type: 'string' },
  size: { type: 'string' },
  resize: { type: 'string' },
  channels: { type: 'string' },
  background: { type: 'string' },
  'val-fraction': { type: 'string' },
  'test-fraction': { type: 'string' },
  seed: { type: 'string' },
  catalog: { type: 'string' },
} as const;

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw invalid(flag, `--${flag}: expected a number, received ${JSON.stringify(value)}`);
  return parsed;
}

/** Maps a contract error's field back to the flag the user typed. */
function flagError(error: UsageError['error']): UsageError {
  const flags: Record<string, string> = { validationFraction: 'val-fraction', testFraction: 'test-fraction', 'source.path': 'path', 'source.name': 'catalog', 'source.localPath': 'path' };
  const field = error.field ? (flags[error.field] ?? error.field) : undefined;
  return new UsageError(field ? { ...error, field } : error);
}

/** "1 class", "10 classes", "3 files": English plurals of the words this file counts. */
const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : /(s|x|ch|sh)$/.test(word) ? 'es' : 's'}`;
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

type ImportFlags = ParsedArgs<typeof IMPORT_OPTIONS>['values'];

async function importCommand(context: CommandContext, values: ImportFlags, positionals: string[]): Promise<number> {
  const [path, ...extra] = positionals;
  if (extra.length) throw invalid(undefined, `data import: unexpected arguments: ${extra.join(' ')}`);
  if (!path && !values.catalog) throw invalid('path', 'data import: give a folder, IDX folder or CIFAR archive (or --catalog NAME)');
  const channels = values.channels === undefined ? undefined : values.channels === 'auto' ? 'auto' : number('channels', values.channels);
  const request = {
    source: values.catalog
      ? { kind: 'catalog', name: values.catalog, ...(path ? { localPath: resolve(path) } : {}) }
      : { kind: 'path', path: resolve(path!) },
    name: values.name,
    size: number('size', values.size),
    resize: values.resize,
    channels,
    background: values.background,
    validationFraction: number('val-fraction', values['val-fraction']),
    testFraction: number('test-fraction', values['test-fraction']),
    seed: number('seed', values.seed),
    importId: `cli-${process.pid}`,
  };
  const params = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)) as RequestOf<'datasets.import'>;
  const workbench = await context.open('cli');
  const line = progressLine(process.stderr);
  const onProgress = (message: EventMessage) => {
    if (context.json || message.event !== 'dataset.import.progress') return;
    const p = message.data;
    const amount = p.phase === 'downloading' ? `${(p.done / 1e6).toFixed(1)}${p.total ? ` / ${(p.total / 1e6).toFixed(1)}` : ''} MB ${p.file ?? ''}` : `${p.done}${p.total ? `/${p.total}` : ''}`;
    line.update(`${p.phase} ${amount}${p.skipped ? `, ${p.skipped} skipped` : ''}`);
  };
  const unsubscribe = workbench.onEvent(onProgress);
  const cancel = () => void workbench.request('datasets.cancelImport', { importId: params.importId! });
  process.once('SIGINT', cancel);
  try {
    const result = await workbench.request('datasets.import', params);
    line.clear();
    if (!result.ok) throw flagError(result.error);
    const imported = result.value as DatasetImportResult;
    if (context.json) printJson(imported);
    else {
      const [h, w, c] = imported.input;
      process.stdout.write(`imported "${imported.name}" as ${imported.id}: ${plural(imported.classes.length, 'class')}, ${h}×${w}×${c}\n`);
      process.stdout.write(
        `train ${sum(imported.counts.train).toLocaleString('en')}, val ${sum(imported.counts.val).toLocaleString('en')}, test ${sum(imported.counts.test).toLocaleString('en')} images in ${(imported.durationMs / 1000).toFixed(1)} s\n`,
      );
      for (const warning of imported.warnings) process.stdout.write(`warning: ${warning}\n`);
      if (imported.skipped.length) {
        process.stdout.write(`skipped ${plural(imported.skipped.length, 'file')}:\n`);
        for (const s of imported.skipped.slice(0, 50)) process.stdout.write(`  ${s.path}: ${s.reason}\n`);
        if (imported.skipped.length > 50) process.stdout.write(`  ... and ${imported.skipped.length - 50} more (see \`cvb data show ${imported.id}\`)\n`);
      }
    }
    return 0;
  } finally {
    process.off('SIGINT', cancel);
    unsubscribe();
    await workbench.close();
  }
}

export const dataCommand = defineCommand(IMPORT_OPTIONS, true, async (context, { values, positionals }) => {
  if (positionals[0] === 'import') return importCommand(context, values, positionals.slice(1));
  const importOnly = Object.keys(IMPORT_OPTIONS).find((flag) => values[flag as keyof typeof IMPORT_OPTIONS] !== undefined);
  if (importOnly) throw invalid(importOnly, `--${importOnly} only applies to \`data import\``);
  const [, id, ...extra] = positionals;
  if (extra.length) throw invalid(undefined, `unexpected arguments: ${extra.join(' ')}`);
  const workbench = await context.open('cli');
  try {
    if (positionals.length === 0 || positionals[0] === 'list') {
      const result = await workbench.request('datasets.list', {});
      if (!result.ok) throw new UsageError(result.error);
      const datasets = result.value as DatasetInfo[];
      if (context.json) printJson(datasets);
      else {
        process.stdout.write(
          `${table(
            ['ID', 'NAME', 'CLASSES', 'INPUT', 'TRAIN', 'VAL', 'TEST'],
            datasets.map((d) => [d.id, d.name, d.classes.length, d.input.join('×'), d.trainCount, d.valCount ?? 0, d.testCount]),
          )}\n`,
        );
      }
      return 0;
    }
    const verb = positionals[0];
    if (verb === 'catalog') {
      const result = await workbench.request('datasets.catalog', {});
      if (!result.ok) throw new UsageError(result.error);
      const entries = result.value as CatalogEntryInfo[];
      if (context.json) printJson(entries);
      else {
        process.stdout.write(
          `${table(
            ['NAME', 'TITLE', 'CLASSES', 'INPUT', 'TRAIN', 'TEST', 'DOWNLOAD', 'STATE'],
            entries.map((e) => [e.name, e.title, e.classCount, e.input.join('×'), e.trainCount, e.testCount, `${(e.downloadBytes / 1e6).toFixed(0)} MB`, e.imported.length ? `imported as ${e.imported.join(', ')}` : e.downloaded ? 'downloaded' : '-']),
          )}\n`,
        );
      }
      return 0;
    }
    if (verb === 'show' || verb === 'delete') {
      if (!id) throw invalid('id', `data ${verb}: give a dataset id (see \`cvb data list\`)`);
      if (verb === 'delete') {
        const result = await workbench.request('datasets.delete', { id });
        if (!result.ok) throw new UsageError(result.error);
        if (context.json) printJson(result.value);
        else process.stdout.write(`deleted ${id}\n`);
        return 0;
      }
      const result = await workbench.request('datasets.get', { id });
      if (!result.ok) throw new UsageError(result.error);
      const d = result.value as DatasetDetail;
      if (context.json) printJson(d);
      else {
        process.stdout.write(`${d.id}  ${d.name}  ${d.input.join('×')}  ${d.source}\n`);
        if (d.normalization) process.stdout.write(`mean ${d.normalization.mean.map((m) => m.toFixed(4)).join(', ')}  std ${d.normalization.std.map((s) => s.toFixed(4)).join(', ')}\n`);
        process.stdout.write(`${table(['CLASS', 'TRAIN', 'VAL', 'TEST'], d.classes.map((name, c) => [name, d.classCounts.train[c], d.classCounts.val[c], d.classCounts.test[c]]))}\n`);
        if (d.report?.skipped.length) {
          process.stdout.write(`skipped ${plural(d.report.skipped.length, 'file')}:\n`);
          for (const s of d.report.skipped) process.stdout.write(`  ${s.path}: ${s.reason}\n`);
        }
      }
      return 0;
    }
    throw invalid('action', `data: unknown action "${verb}"; use import, list, show, delete or catalog`);
  } finally {
    await workbench.close();
  }
});

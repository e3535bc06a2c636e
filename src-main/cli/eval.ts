/**
 * `cvb eval RUN_ID [--checkpoint best|last] [--saved] [--json]`: evaluates a run on its dataset's
 * test split (in a child process) and prints top-1 and top-5 accuracy, per-class precision and
 * recall and the confusion matrix. With --json: {accuracy, top5, perClass: [{class, precision,
 * recall}], confusion: [[...]]} plus the details of the evaluation. --saved prints the last
 * saved evaluation instead of running a new one.
 */
import type { EvalResult } from '../contract';
import { defineCommand, type Options } from './args';
import { invalid, percent, printJson, table, UsageError } from './output';

const EVAL_OPTIONS = { checkpoint: { type: 'string' }, saved: { type: 'boolean', default: false } } satisfies Options;

export const evalCommand = defineCommand(EVAL_OPTIONS, true, async (context, { positionals, values }) => {
  const [id, ...extra] = positionals;
  if (!id) throw invalid('id', 'eval: give a run id (see `cvb runs list`)');
  if (extra.length) throw invalid(undefined, `unexpected arguments: ${extra.join(' ')}`);
  const checkpoint = values.checkpoint ?? 'best';
  if (checkpoint !== 'best' && checkpoint !== 'last') throw invalid('checkpoint', `--checkpoint must be best or last (received "${checkpoint}")`);
  const workbench = await context.open('cli');
  try {
    const result = values.saved ? await workbench.request('runs.evaluation', { id }) : await workbench.request('runs.evaluate', { id, checkpoint });
    if (!result.ok) throw new UsageError(result.error);
    const evaluation = result.value as EvalResult | null;
    if (!evaluation) throw new UsageError({ code: 'not_found', field: 'id', message: `run "${id}" has not been evaluated yet: run \`cvb eval ${id}\`` });
    if (context.json) {
      const { accuracy, top5, perClass, confusion, ...details } = evaluation;
      printJson({ accuracy, top5, perClass: perClass.map(({ class: name, precision, recall, support }) => ({ class: name, precision, recall, support })), confusion, ...details });
      return 0;
    }
    const out = process.stdout;
    out.write(`${evaluation.runId}: ${evaluation.checkpoint} checkpoint${evaluation.epoch !== null ? ` (epoch ${evaluation.epoch})` : ''} on the ${evaluation.count} test images of ${evaluation.dataset}\n`);
    out.write(`top-1 ${percent(evaluation.accuracy)}   top-5 ${evaluation.top5 === null ? '- (5 classes or fewer)' : percent(evaluation.top5)}\n\n`);
    out.write(`${table(['CLASS', 'PRECISION', 'RECALL', 'IMAGES'], evaluation.perClass.map((c) => [c.class, percent(c.precision), percent(c.recall), c.support]))}\n\n`);
    out.write('confusion (rows: true class, columns: predicted)\n');
    out.write(`${table(['', ...evaluation.classes.map((_, i) => String(i))], evaluation.confusion.map((row, i) => [`${i} ${evaluation.classes[i]}`, ...row]))}\n`);
    return 0;
  } finally {
    await workbench.close();
  }
});

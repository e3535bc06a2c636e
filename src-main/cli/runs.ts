/** `cvb runs list|show ID`: the saved runs, as the Runs screen shows them. */
import type { RunDetail, RunSummary } from '../contract';
import type { CommandContext } from './main';
import { parseCommandArgs } from './main';
import { fixed, invalid, percent, printJson, table, UsageError } from './output';

export async function runsCommand(context: CommandContext): Promise<number> {
  const { positionals } = parseCommandArgs(context.args, {});
  const [action = 'list', id, ...extra] = positionals;
  if (extra.length) throw invalid(undefined, `unexpected arguments: ${extra.join(' ')}`);
  const workbench = await context.open('cli');
  try {
    if (action === 'list') {
      const result = await workbench.request('runs.list', {});
      if (!result.ok) throw new UsageError(result.error);
      const runs = result.value as RunSummary[];
      if (context.json) printJson(runs);
      else if (runs.length === 0) process.stdout.write('no runs yet: start one with `cvb train --model resnet20`\n');
      else {
        process.stdout.write(
          `${table(
            ['ID', 'MODEL', 'DATASET', 'STATUS', 'STEPS', 'VAL ACC', 'VAL LOSS', 'CREATED'],
            runs.map((r) => [r.id, r.model, r.dataset, r.damaged ? `damaged: ${r.damaged}` : r.status, r.steps, percent(r.final.valAccuracy), fixed(r.final.valLoss), r.createdAt]),
          )}\n`,
        );
      }
      return 0;
    }
    if (action === 'show') {
      if (!id) throw invalid('id', 'runs show: give a run id (see `cvb runs list`)');
      const result = await workbench.request('runs.get', { id });
      if (!result.ok) {
        throw new UsageError(result.error);
      }
      const run = result.value as RunDetail;
      if (context.json) printJson(run);
      else {
        const epochs = run.metrics.filter((m) => m.type === 'epoch');
        process.stdout.write(`${run.id}  ${run.model} on ${run.dataset}  ${run.status}${run.error ? ` (${run.error})` : ''}\n`);
        process.stdout.write(`backend ${run.backend ?? '-'}, ${run.steps} steps, created ${run.createdAt}\n`);
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
    throw invalid('action', `runs: unknown action "${action}"; use list or show`);
  } finally {
    await workbench.close();
  }
}

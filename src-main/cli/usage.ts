/** What `cvb --help` and `cvb <command> --help` print. */
export const USAGE = `usage: cvb <command> [options]

commands:
  serve   [--port N] [--host H] [--data-root DIR ...]
          serve the workbench to a browser (default 127.0.0.1:7860); browser users may name
          files on this machine only inside a --data-root folder (repeatable; none: uploads only)
  train   --model NAME [--data ID] [--epochs N] [--batch-size N] [--lr X] [--max-steps N]
          [--optimizer sgd|momentum|adam|adamw|rmsprop] [--momentum X] [--nesterov] [--weight-decay X]
          [--schedule constant|step|multistep|cosine|onecycle] [--milestones A,B] [--gamma X]
          [--step-epochs N] [--min-lr X] [--warmup-epochs N] [--label-smoothing X] [--aux-weight X]
          [--grad-clip X] [--early-stopping N] [--monitor METRIC] [--grad-norms] [--preset NAME]
          [--option SWITCH=VALUE ...] [--seed N] [--backend tensorflow|wasm|cpu]
          [--threads N] [--data-parallel] [--checkpoint-minutes X] [--max-minutes X]
          --data-parallel: split each batch across the threads (one model replica per thread)
          instead of each operation; faster on wasm, batch norm per share
          --max-minutes X: a time budget; the run times its first steps, then trains the whole
          epochs that fit, its schedule scaled to them, and fits again at epoch ends in the first
          third of the run, at its steady speed (the run record's budget says so)
  train   --resume RUN_ID                  continue a stopped or interrupted run exactly
  runs    list | show ID | update ID [--name N] [--notes T] [--tag T ...] [--star] | delete ID
          | export ID [--kind archive|model|metrics|pytorch] [--out PATH] | import ARCHIVE|FOLDER
  eval    RUN_ID [--checkpoint best|last] [--json]   test-set accuracy, top-5, per class, confusion
  models  list the registered networks
  inspect NAME [--input N|HxWxC] [--classes N] [--batch-size N] [--option NAME=VALUE ...]
          a network's layers, output shapes, parameters and multiply-adds
  predict RUN_ID IMAGE... [--top K] [--cam DIR] [--checkpoint best|last]
  bench   [--quick] [--backends a,b] [--models m,n] [--peers] [--only SECTION,...] [--threads N,M]
          kernels, training loop, pipeline, inference and run-list speed; --peers adds PyTorch;
          --only measures some of kernels, training, pipeline, inference, runList, peers
  data    import PATH [--name NAME] [--size N] [--val-fraction X] [--test-fraction X] [--seed N]
          | list | show ID | delete ID | catalog
          --test-fraction defaults to 0.1 (stratified, seeded) for a source without a test split; 0 for none
  experiment run --model NAME|--base RUN_ID --vary SWITCH=v1,v2 [--seeds N] [--max-steps N]
          [--data ID] [--epochs N] [--batch-size N] [--lr X] [--option SWITCH=VALUE ...]
  experiment run --builtin NAME [--seeds N] [--max-steps N]   a paper's idea with error bars
  experiment list | show ID | stop ID | resume ID | extend ID --seeds N | delete ID | builtin
          | report ID [--format html|csv] [--out PATH]
  experiment export ID --kind pytorch [--out DIR]   one PyTorch DDP job per arm and seed, run_all.sh, Slurm array
  experiment import DIR   the exported folder after its jobs ran: runs imported, the experiment rebuilt

options:
  --home DIR   data folder (default: CVB_HOME, else the desktop app's user-data folder)
               every option that takes a value takes it as --name VALUE or --name=VALUE
  --json       machine-readable output
`;

/** The usage lines of one command (its entries under "commands:" with their continuation lines), and the common options. */
export function usageOf(name: string): string {
  const lines = USAGE.slice(USAGE.indexOf('commands:\n') + 'commands:\n'.length, USAGE.indexOf('\noptions:')).split('\n');
  const own: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (/^ {2}\S/.test(line)) inside = line.trimStart().split(/\s/)[0] === name;
    if (inside && line.trim()) own.push(line);
  }
  return `usage: cvb ${name} [options]\n\n${own.join('\n')}\n${USAGE.slice(USAGE.indexOf('\noptions:'))}`;
}

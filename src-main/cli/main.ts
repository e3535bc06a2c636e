/**
 * `cvb`: the workbench on the command line (the same Core the desktop app hosts).
 *   cvb serve  [--port N] [--host H] [--data-root DIR ...]   browser mode
 *   cvb train  --model NAME [...] [--json]  train, one JSON object per line with --json
 *   cvb runs   list|show ID [--json]
 *   cvb models [--json]
 * Common: --home DIR (or CVB_HOME), --json. Invalid input exits 2 with {"error":{code,message,field}}.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorkbench } from '../core/workbench';
import { resolveHome } from './home';
import { commands } from './commands';
import { invalid, printError, UsageError } from './output';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

const USAGE = `usage: cvb <command> [options]

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
          [--threads N] [--checkpoint-minutes X]
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
  data    import PATH [--name NAME] [--size N] | list | show ID | delete ID | catalog
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

function version(): string {
  try {
    return (createRequire(import.meta.url)(join(repoRoot, 'package.json')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}


export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const json = args.includes('--json');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  try {
    const command = commands[name];
    if (!command) throw invalid('command', `unknown command "${name}"; commands: ${Object.keys(commands).join(', ')}`);
    const parsed = command.parse(args);
    const home = resolveHome(parsed.home);
    return await parsed.run({
      json: parsed.json,
      home,
      open: (mode, options) =>
        createWorkbench({
          ...options,
          home,
          mode,
          resourcesDir: join(repoRoot, 'resources'),
          workerEntry: join(here, 'train-worker.js'),
          version: version(),
        }),
    });
  } catch (error) {
    if (error instanceof UsageError) {
      printError(error.error, json);
      return 2;
    }
    printError({ code: 'internal', message: error instanceof Error ? error.message : String(error) }, json);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`cvb: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);

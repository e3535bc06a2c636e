/**
 * `cvb`: the workbench on the command line (the same Core the desktop app hosts).
 *   cvb serve  [--port N] [--host H]        browser mode
 *   cvb train  --model NAME [...] [--json]  train, one JSON object per line with --json
 *   cvb runs   list|show ID [--json]
 *   cvb models [--json]
 * Common: --home DIR (or CVB_HOME), --json. Invalid input exits 2 with {"error":{code,message,field}}.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createWorkbench, type Workbench } from '../core/workbench';
import { resolveHome } from './home';
import { benchCommand } from './bench';
import { dataCommand } from './data';
import { evalCommand } from './eval';
import { experimentCommand } from './experiment';
import { predictCommand } from './predict';
import { inspectCommand } from './inspect';
import { invalid, printError, UsageError } from './output';
import { modelsCommand } from './models';
import { runsCommand } from './runs';
import { serveCommand } from './serve';
import { trainCommand } from './train';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

export interface CommandContext {
  args: string[];
  json: boolean;
  home: string;
  open(mode: 'cli' | 'serve'): Promise<Workbench>;
}

const USAGE = `usage: cvb <command> [options]

commands:
  serve   [--port N] [--host H]            serve the workbench to a browser (default 127.0.0.1:7860)
  train   --model NAME [--data ID] [--epochs N] [--batch-size N] [--lr X] [--max-steps N]
          [--optimizer sgd|momentum|adam|adamw|rmsprop] [--momentum X] [--nesterov] [--weight-decay X]
          [--schedule constant|step|multistep|cosine|onecycle] [--milestones A,B] [--gamma X]
          [--step-epochs N] [--min-lr X] [--warmup-epochs N] [--label-smoothing X] [--aux-weight X]
          [--grad-clip X] [--early-stopping N] [--monitor METRIC] [--grad-norms] [--preset NAME]
          [--option SWITCH=VALUE ...] [--seed N] [--backend tensorflow|wasm|cpu]
  train   --resume RUN_ID                  continue a stopped or interrupted run exactly
  runs    list | show ID | update ID [--name N] [--notes T] [--tag T ...] [--star] | delete ID
          | export ID [--kind archive|model|metrics] [--out PATH] | import ARCHIVE
  eval    RUN_ID [--checkpoint best|last] [--json]   test-set accuracy, top-5, per class, confusion
  models  list the registered networks
  inspect NAME [--input N|HxWxC] [--classes N] [--batch-size N] [--option NAME=VALUE ...]
          a network's layers, output shapes, parameters and multiply-adds
  predict RUN_ID IMAGE... [--top K] [--cam DIR] [--checkpoint best|last]
  bench   [--quick] [--backends a,b] [--models m,n] [--peers] [--only SECTION,...]
          kernels, training loop, pipeline, inference and run-list speed; --peers adds PyTorch;
          --only measures some of kernels, training, pipeline, inference, runList, peers
  data    import PATH [--name NAME] [--size N] | list | show ID | delete ID | catalog
  experiment run --model NAME|--base RUN_ID --vary SWITCH=v1,v2 [--seeds N] [--max-steps N]
          [--data ID] [--epochs N] [--batch-size N] [--lr X] [--option SWITCH=VALUE ...]
  experiment run --builtin NAME [--seeds N] [--max-steps N]   a paper's idea with error bars
  experiment list | show ID | stop ID | resume ID | extend ID --seeds N | delete ID | builtin
          | report ID [--format html|csv] [--out PATH]

options:
  --home DIR   data folder (default: CVB_HOME, else the desktop app's user-data folder)
  --json       machine-readable output
`;

export const COMMON_OPTIONS = {
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

/** parseArgs with our error shape: an unknown flag or a missing value names the flag. */
export function parseCommandArgs<O extends ParseArgsConfig['options']>(args: string[], options: O, allowPositionals = true) {
  const all = { ...COMMON_OPTIONS, ...options } as ParseArgsConfig['options'] & object;
  // `--lr -1` is a negative number, not a missing value: join it so the value's own check answers.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : '';
    if (all[name]?.type === 'string' && /^-(\d|\.\d)/.test(args[i + 1] ?? '')) {
      joined.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else joined.push(args[i]);
  }
  try {
    return parseArgs({ args: joined, options: all as O & typeof COMMON_OPTIONS, allowPositionals, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const flag = /'(--?[\w-]+)/.exec(message)?.[1];
    throw invalid(flag?.replace(/^-+/, ''), message);
  }
}

function version(): string {
  try {
    return (createRequire(import.meta.url)(join(repoRoot, 'package.json')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const commands: Record<string, (context: CommandContext) => Promise<number>> = {
  serve: serveCommand,
  train: trainCommand,
  runs: runsCommand,
  models: modelsCommand,
  inspect: inspectCommand,
  data: dataCommand,
  predict: predictCommand,
  bench: benchCommand,
  eval: evalCommand,
  experiment: experimentCommand,
};

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
    const homeIndex = args.indexOf('--home');
    const home = resolveHome(homeIndex >= 0 ? args[homeIndex + 1] : undefined);
    return await command({
      args,
      json,
      home,
      open: (mode) =>
        createWorkbench({
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

/**
 * `cvb`: the workbench on the command line (the same Core the desktop app hosts).
 *   cvb serve  [--port N] [--host H] [--data-root DIR ...]   browser mode
 *   cvb train  --model NAME [...] [--json]  train, one JSON object per line with --json
 *   cvb runs   list|show ID [--json]
 *   cvb models [--json]
 * Common: --home DIR (or CVB_HOME), --json. Invalid input exits 2 with {"error":{code,message,field}}.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createWorkbench } from '../core/workbench';
import { besideThisBundle } from '../data/bundle-path';
import { resolveHome } from './home';
import { commands } from './commands';
import { invalid, printError, UsageError } from './output';
import { USAGE, usageOf } from './usage';

const repoRoot = besideThisBundle('..', '..');

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
    if (parsed.help) {
      process.stdout.write(usageOf(name));
      return 0;
    }
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
          workerEntry: besideThisBundle('train-worker.js'),
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

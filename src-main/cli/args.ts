/**
 * The command line's one argument parser (node:util parseArgs, strict). Every command declares
 * its options and gets them parsed here, together with the options all commands share, so
 * `--home DIR` and `--home=DIR` mean the same for every option that takes a value, and an unknown
 * option or a missing value exits 2 with an error that names the option.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Workbench, WorkbenchOptions } from '../core/workbench';
import { invalid } from './output';

export type Options = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies Options;

export interface CommandContext {
  json: boolean;
  /** The data folder: --home, else CVB_HOME, else the desktop app's own. */
  home: string;
  open(mode: 'cli' | 'serve', options?: Pick<WorkbenchOptions, 'hostPaths' | 'log'>): Promise<Workbench>;
}

/** parseArgs with our error shape: an unknown option or a missing value names the option. */
export function parseCommandArgs<O extends Options>(args: string[], options: O, allowPositionals = true) {
  const all = { ...COMMON_OPTIONS, ...options } as O & typeof COMMON_OPTIONS;
  // `--lr -1` is a negative number, not a missing value: join it so the value's own check answers.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : '';
    if ((all as Options)[name]?.type === 'string' && /^-(\d|\.\d)/.test(args[i + 1] ?? '')) {
      joined.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else joined.push(args[i]);
  }
  try {
    return parseArgs({ args: joined, options: all, allowPositionals, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    // parseArgs quotes the option as '--name' or, for one with a short form, as '-h, --help'.
    const flag = /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1];
    throw invalid(flag?.replace(/^-+/, '') ?? 'arguments', message);
  }
}

export type ParsedArgs<O extends Options> = ReturnType<typeof parseCommandArgs<O>>;

/** A parsed command line, ready to run once the host has opened the data folder it names. */
export interface ParsedCommand {
  home: string | undefined;
  json: boolean;
  /** --help: print the command's usage instead of running it. */
  help: boolean;
  run(context: CommandContext): Promise<number>;
}

export interface Command {
  readonly options: Options;
  parse(args: string[]): ParsedCommand;
}

/** A `cvb` command: its options (beyond the common ones), whether it takes positionals, its body. */
export function defineCommand<O extends Options>(
  options: O,
  allowPositionals: boolean,
  run: (context: CommandContext, parsed: ParsedArgs<O>) => Promise<number>,
): Command {
  return {
    options,
    parse(args) {
      const parsed = parseCommandArgs(args, options, allowPositionals);
      const { home, json, help } = parsed.values as { home?: string; json: boolean; help: boolean };
      return { home, json, help, run: (context) => run(context, parsed) };
    },
  };
}

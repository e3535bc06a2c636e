/** The `cvb` commands by name; the entry (main.ts) runs one, the tests parse each one's options. */
import type { Command } from './args';
import { benchCommand } from './bench';
import { dataCommand } from './data';
import { evalCommand } from './eval';
import { inspectCommand } from './inspect';
import { modelsCommand } from './models';
import { predictCommand } from './predict';
import { runsCommand } from './runs';
import { serveCommand } from './serve';
import { trainCommand } from './train';

export const commands: Record<string, Command> = {
  serve: serveCommand,
  train: trainCommand,
  runs: runsCommand,
  models: modelsCommand,
  inspect: inspectCommand,
  data: dataCommand,
  predict: predictCommand,
  bench: benchCommand,
  eval: evalCommand,
};

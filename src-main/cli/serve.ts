/** `cvb serve`: the workbench in a browser, over the same contract (WebSocket transport). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostPathsUnder, resolveDataRoots } from '../core/host-paths';
import { besideThisBundle } from '../data/bundle-path';
import { openLogFile } from '../core/log';
import { exposureWarning, startServer } from '../serve/server';
import { defineCommand, type Options } from './args';
import { invalid } from './output';

export const DEFAULT_PORT = 7860;

const SERVE_OPTIONS = { port: { type: 'string' }, host: { type: 'string' }, 'data-root': { type: 'string', multiple: true } } satisfies Options;

export const serveCommand = defineCommand(SERVE_OPTIONS, false, async (context, { values }) => {
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid('port', `--port: must be a whole number from 0 to 65535 (received ${JSON.stringify(values.port)})`);
  }
  const bindHost = values.host ?? '127.0.0.1';
  // Browser users may name host paths only inside these folders; with none they upload files.
  const dataRoots = await resolveDataRoots(values['data-root'] ?? []).catch((error: Error) => {
    throw invalid('data-root', `--data-root: ${error.message}`);
  });
  const rendererDir = besideThisBundle('..', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw invalid(undefined, `the renderer is not built (${rendererDir}/index.html is missing); run \`npm run build\` first, or start it with \`npm run cvb -- serve\`, which builds it`);
  }
  const warning = exposureWarning(bindHost, port);
  if (warning) process.stderr.write(`WARNING: ${warning}\n`);
  const log = await openLogFile({ folder: join(context.home, 'logs') });
  log.logger.info({ dataRoots }, 'cvb serve starting');
  const workbench = await context.open('serve', { hostPaths: hostPathsUnder(dataRoots), log });
  const server = await startServer({ host: workbench, rendererDir, bindHost, port, logger: log.logger }).catch(async (error: NodeJS.ErrnoException) => {
    await workbench.close();
    log.logger.error({ err: error }, 'the server could not listen');
    await log.close();
    if (error.code === 'EADDRINUSE') {
      throw invalid('port', `--port: ${bindHost}:${port} is already in use (another workbench?); choose another port, or --port 0 for any free one`);
    }
    if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
      throw invalid('host', `--host: cannot listen on ${JSON.stringify(bindHost)} (${error.code}); use an address of this machine, e.g. 127.0.0.1`);
    }
    throw error;
  });
  process.stdout.write(`URL: ${server.url}\n`);
  process.stderr.write(`log: ${log.currentFile()}\n`);
  await new Promise<void>((resolve) => {
    const shutdown = () => resolve();
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  process.stderr.write('stopping: running trainings are stopped and keep their checkpoints\n');
  await server.close();
  await workbench.close();
  await log.close();
  return 0;
});

/**
 * `cvb inspect NAME [--input N] [--classes N] [--batch-size N] [--option NAME=VALUE ...] [--json]`:
 * a network's layers, parameters and multiply-adds by the zoo's dry run (no weights are made).
 */
import type { ApiError, ModelInspection } from '../contract';
import { defineCommand } from './args';
import { invalid, printJson, table, UsageError } from './output';
import { numeric, switchValues } from './values';

const INSPECT_OPTIONS = {
  input: { type: 'string' },
  classes: { type: 'string' },
  'batch-size': { type: 'string' },
  option: { type: 'string', multiple: true },
} as const;

/** `--input 64` (square) or `--input 64x48x1` / `64,48,1`. */
function inputValue(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const parts = text.split(/[x×,]/i).map((part) => part.trim());
  return parts.length === 3 ? parts.map(numeric) : numeric(text);
}

const FLAGS: Record<string, string> = { name: 'name', input: 'input', classes: 'classes', batchSize: 'batch-size' };

/** Errors name what the user typed: the flag, or `option` for a switch. */
function asFlagError(error: ApiError): ApiError {
  if (!error.field) return error;
  const [head, ...rest] = error.field.split('.');
  if (head === 'options') return { ...error, field: 'option', message: `--option ${rest.join('.')}: ${error.message.replace(/^options\.[\w.]+: /, '')}` };
  const flag = FLAGS[head];
  if (!flag || flag === 'name') return error;
  return { ...error, field: flag, message: error.message.replace(new RegExp(`^${head}:`), `--${flag}:`) };
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

function formatMacs(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)} G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} K`;
  return String(value);
}

function formatBytes(value: number): string {
  if (value >= 2 ** 30) return `${(value / 2 ** 30).toFixed(2)} GiB`;
  if (value >= 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
  return `${(value / 2 ** 10).toFixed(1)} KiB`;
}

function printTable(inspection: ModelInspection): void {
  const rows = inspection.layers.map((layer) => [
    layer.name,
    layer.type,
    layer.outputShape.join('×'),
    formatCount(layer.params),
    formatMacs(layer.macs),
    layer.receptiveField,
  ]);
  const { trainable, nonTrainable } = inspection.params;
  const training = inspection.trainingParams;
  // Auxiliary heads exist only while training: then both graphs are counted, each labelled.
  const aux = training.trainable !== trainable || training.nonTrainable !== nonTrainable;
  const count = (value: number, trainingValue: number) =>
    aux ? `${formatCount(value)} for inference, ${formatCount(trainingValue)} while training (auxiliary heads included)` : formatCount(value);
  process.stdout.write(
    `${inspection.name} (${inspection.family}) · input ${inspection.input.join('×')} · ${inspection.classes} classes\n\n` +
      `${table(['LAYER', 'TYPE', 'OUTPUT', 'PARAMS', 'MACS', 'RF'], rows)}\n\n` +
      `trainable params      ${count(trainable, training.trainable)}\n` +
      `non-trainable params  ${count(nonTrainable, training.nonTrainable)}\n` +
      `multiply-adds         ${formatCount(inspection.macs)} (${formatMacs(inspection.macs)})\n` +
      `activation memory     ${formatBytes(inspection.activationBytes)} for a batch of ${inspection.batchSize}\n`,
  );
}

export const inspectCommand = defineCommand(INSPECT_OPTIONS, true, async (context, { values, positionals }) => {
  if (positionals.length === 0) throw invalid('name', 'inspect: give a model name, e.g. cvb inspect resnet50 (cvb models lists them)');
  if (positionals.length > 1) throw invalid('name', `inspect: one model at a time; got ${positionals.join(', ')}`);
  const request: Record<string, unknown> = { name: positionals[0], options: switchValues(values.option) };
  if (values.input !== undefined) request.input = inputValue(values.input);
  if (values.classes !== undefined) request.classes = numeric(values.classes);
  if (values['batch-size'] !== undefined) request.batchSize = numeric(values['batch-size']);

  const workbench = await context.open('cli');
  try {
    const result = await workbench.request('models.inspect', request);
    if (!result.ok) throw new UsageError(asFlagError(result.error));
    const inspection = result.value as ModelInspection;
    if (context.json) {
      // The shape, plus `trainingParams` (the training graph, auxiliary heads included); the
      // table adds the receptive field and the activation memory.
      const { name, input, classes, params, trainingParams, macs, layers } = inspection;
      printJson({
        name,
        input,
        classes,
        params,
        trainingParams,
        macs,
        layers: layers.map((layer) => ({ name: layer.name, type: layer.type, outputShape: layer.outputShape, params: layer.params, macs: layer.macs })),
      });
    } else {
      printTable(inspection);
    }
    return 0;
  } finally {
    await workbench.close();
  }
});

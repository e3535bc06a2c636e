/** Reading typed values from command-line text, shared by the commands. */
import type { SwitchValue } from '../contract';
import { invalid } from './output';

/** Numbers stay numbers; anything else is passed on as typed so the error can show it. */
export function numeric(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text.trim()) ? Number(text) : text;
}

/** A network's switches from `--option se=true --option dropout=0.3 --option activation=elu`. */
export function switchValues(options: string[] | undefined): Record<string, SwitchValue> {
  const values: Record<string, SwitchValue> = {};
  for (const option of options ?? []) {
    const match = /^([A-Za-z][\w]*)=(.*)$/.exec(option);
    if (!match) throw invalid('option', `--option: expected NAME=VALUE (e.g. se=true, dropout=0.3); got "${option}"`);
    const [, name, text] = match;
    values[name] = switchValue(text);
  }
  return values;
}

/** `true`/`false` as booleans, numbers as numbers, anything else as typed. */
export function switchValue(text: string): SwitchValue {
  const number = numeric(text);
  return text === 'true' ? true : text === 'false' ? false : typeof number === 'number' ? number : text;
}

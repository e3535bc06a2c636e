/**
 * The one place a zod issue from a contract schema becomes a message beside a form field. Every
 * form validates with the contract's own schema (the host parses the same), so the field and the
 * rule are the contract's; only the words are the renderer's, as i18n keys so that a language
 * switch re-renders them.
 */
import type { z } from 'zod';
import { ruleOf, type RuleName } from '../../src-main/contract';

/** A message to show next to a field: an i18n key with parameters, or the host's own text. */
export type FieldMessage = { key: string; params?: Record<string, unknown> } | { text: string };

const RULE_KEYS: Record<RuleName, string> = {
  nesterovNeedsMomentum: 'trainOptions.validation.nesterovNeedsMomentum',
  nesterovOptimizer: 'trainOptions.validation.nesterovOptimizer',
  rangeOrder: 'trainOptions.validation.order',
};

/** One issue as a message key; the schema's English text is the last resort. */
export function messageForIssue(issue: z.core.$ZodIssue, value: unknown): FieldMessage {
  const rule = ruleOf(issue);
  if (rule) return { key: RULE_KEYS[rule] };
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return { key: 'validation.wholeNumber' };
      return value === undefined ? { key: 'validation.required' } : { key: 'validation.number' };
    case 'too_small':
      if (issue.origin === 'string') return { key: 'validation.required' };
      if (issue.origin === 'array') return { key: 'trainOptions.validation.atLeastItems', params: { min: Number(issue.minimum) } };
      if (issue.inclusive === false) return { key: 'trainOptions.validation.greaterThan', params: { min: Number(issue.minimum) } };
      return { key: 'validation.min', params: { min: Number(issue.minimum) } };
    case 'too_big':
      if (issue.origin === 'string') return { key: 'validation.maxLength', params: { max: Number(issue.maximum) } };
      if (issue.origin === 'array') return { key: 'trainOptions.validation.atMostItems', params: { max: Number(issue.maximum) } };
      if (issue.inclusive === false) return { key: 'trainOptions.validation.lessThan', params: { max: Number(issue.maximum) } };
      return { key: 'validation.max', params: { max: Number(issue.maximum) } };
    default:
      return { text: issue.message };
  }
}

/** The value an issue is about, found in the parsed input by the issue's path. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/**
 * A form's errors from a failed parse: one message per field, the first issue wins. `fieldOf`
 * names the form field an issue path belongs to; `special` words a field's issue its own way
 * ("choose a model" rather than "required") and leaves the rest to `messageForIssue`.
 */
export function fieldErrorsOf<F extends string>(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  fieldOf: (path: readonly PropertyKey[]) => F | null | undefined,
  special: (field: F, issue: z.core.$ZodIssue) => FieldMessage | undefined = () => undefined,
): Partial<Record<F, FieldMessage>> {
  const errors: Partial<Record<F, FieldMessage>> = {};
  for (const issue of issues) {
    const field = fieldOf(issue.path);
    if (!field || errors[field]) continue;
    errors[field] = special(field, issue) ?? messageForIssue(issue, valueAt(input, issue.path));
  }
  return errors;
}

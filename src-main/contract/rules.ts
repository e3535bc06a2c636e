/**
 * Rules that tie one field to another, written once as zod refinements so that the CLI, the
 * WebSocket host and the forms refuse the same inputs with the same field and message. Each issue
 * carries its rule's name in `params.rule`, which a client maps to its own (translated) text.
 */
import type { z } from 'zod';

export const RULE_NAMES = ['nesterovNeedsMomentum', 'nesterovOptimizer', 'rangeOrder'] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** The rule a zod issue reports, when it came from one of these refinements. */
export function ruleOf(issue: z.core.$ZodIssue): RuleName | undefined {
  if (issue.code !== 'custom') return undefined;
  const rule: unknown = issue.params?.rule;
  return (RULE_NAMES as readonly unknown[]).includes(rule) ? (rule as RuleName) : undefined;
}

export function ruleIssue(rule: RuleName, path: PropertyKey[], message: string, input: unknown): z.core.$ZodRawIssue {
  return { code: 'custom', path, message, params: { rule }, input };
}

/**
 * Runs a refinement whenever the fields it reads parsed, even if other fields are out of range (zod
 * skips an object's refinements after any issue by default), so a form shows the rule's error
 * beside its field at the same time as the others. zod still skips it while any field has the
 * wrong type (a word for a number, a fraction for a whole number): those errors come first.
 */
export function whenValid(...keys: string[]): { when: (payload: z.core.ParsePayload) => boolean } {
  return { when: (payload) => !payload.issues.some((issue) => keys.includes(String(issue.path?.[0]))) };
}


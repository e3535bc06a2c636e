/** The verdict of a comparison said in the UI's language, from the parts the host sends. */
import type { SwitchValue, Verdict } from '../../../src-main/contract';

type Translate = (key: string, params?: Record<string, unknown>, plural?: number) => string;

/** "sigmoid", "batchNorm on" / "batchNorm 开", "labelSmoothing = 0.1". */
export function armText(t: Translate, field: string, value: SwitchValue): string {
  if (typeof value === 'boolean') return `${field} ${t(value ? 'experiments.on' : 'experiments.off')}`;
  if (typeof value === 'number') return `${field} = ${value}`;
  return value;
}

export function verdictText(t: Translate, field: string, verdict: Verdict): string {
  const arm = armText(t, field, verdict.arm);
  const baseline = armText(t, field, verdict.baseline);
  const after = verdict.after.steps !== null ? t('experiments.verdict.afterSteps', { n: verdict.after.steps }) : t('experiments.verdict.afterEpochs', { n: verdict.after.epochs ?? 0 }, verdict.after.epochs ?? 0);
  const digits = verdict.unit === 'points' ? 1 : 3;
  const sentence = t(`experiments.verdict.${verdict.kind}`, {
    arm,
    baseline,
    after,
    pairs: verdict.pairs,
    magnitude: verdict.magnitude?.toFixed(digits) ?? '',
    halfWidth: verdict.halfWidth?.toFixed(digits) ?? '',
    unit: t(`experiments.unit.${verdict.unit}`),
  });
  return verdict.paper ? `${sentence} ${t(`experiments.verdict.${verdict.paper}`)}` : sentence;
}

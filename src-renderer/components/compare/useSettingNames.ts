/**
 * Configuration paths in the words of the Train form that sets them ("schedule.milestones" →
 * "Milestones (epochs)", "modelOptions.activation" → "Activation"), for the hyperparameter table and
 * for the labels of compared runs that share a name ("vgg11_bn · Seed 2").
 */
import { useI18n } from 'vue-i18n';
import { BASIC_FIELDS } from '../../lib/validation';
import { hyperparameterRows } from './series';

/** Nested paths whose form field has a name of its own. */
const FORM_NAMES: Record<string, string> = {
  'earlyStopping.metric': 'earlyStoppingMetric',
  'augmentation.randomCrop.padding': 'cropPadding',
  'augmentation.randomResizedCrop.scale': 'resizedCropScale',
  'augmentation.randomResizedCrop.ratio': 'resizedCropRatio',
};

export function useSettingNames() {
  const { t, te } = useI18n();

  /** A configuration path's name on the form; the path itself where the form has none. */
  function fieldLabel(key: string): string {
    const parts = key.split('.');
    const last = parts.at(-1)!;
    if (parts[0] === 'modelOptions') return te(`models.switches.${last}`) ? t('compare.switchField', { name: t(`models.switches.${last}`) }) : key;
    if (parts[0] === 'preset') return te(`compare.preset.${last}`) ? t(`compare.preset.${last}`) : key;
    if (parts.length === 1 && (BASIC_FIELDS as readonly string[]).includes(key)) return t(`train.${key}`);
    // "schedule.type" is the schedule itself; other nested paths are named by their last part.
    const field = FORM_NAMES[key] ?? (last === 'type' ? parts[0] : last);
    return te(`trainOptions.fields.${field}`) ? t(`trainOptions.fields.${field}`) : key;
  }

  /** "Seed 2"; a switch as "Label: on" or "Label: off" rather than true or false. */
  function settingText(label: string, value: string): string {
    if (value === 'true' || value === 'false') return t(value === 'true' ? 'compare.settingOn' : 'compare.settingOff', { name: label });
    return `${label} ${value}`;
  }

  /**
   * What tells run `index` apart from the others in `configs`: up to `max` of the settings that differ
   * among them, the fields people look at first first ("Seed 2"); empty when none differ.
   */
  function distinguishingSettings(configs: readonly (Record<string, unknown> | null)[], index: number, max = 2): string[] {
    return hyperparameterRows(configs)
      .filter((row) => row.differs)
      .slice(0, max)
      .map((row) => settingText(fieldLabel(row.key), row.values[index]));
  }

  return { fieldLabel, distinguishingSettings };
}

/**
 * How a run is told apart from other runs of its model: the switches it set that differ from the
 * variant's defaults, as short chips ("sigmoid", "no BN", "width 0.25"), and a default name made of
 * the model and those chips ("resnet20 · sigmoid") for a run the user has not named.
 */
import { useI18n } from 'vue-i18n';
import type { ModelInfo, ModelOptions } from '../../src-main/contract';
import { useSystemStore } from '../stores/system';

type SwitchValue = ModelOptions[string];

/** The run's switches that differ from the variant's defaults, in the variant's switch order (unknown switches last). */
export function changedSwitches(options: ModelOptions | undefined, model: ModelInfo | undefined): [string, SwitchValue][] {
  const specs = model?.switches ?? {};
  const entries = Object.entries(options ?? {}).filter(([name, value]) => specs[name]?.default !== value);
  const order = Object.keys(specs);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return entries.sort(([a], [b]) => rank(a) - rank(b));
}

export interface NamedRun {
  model: string;
  name?: string | null;
  modelOptions?: ModelOptions;
}

export function useRunNames() {
  const { t, te } = useI18n();
  const system = useSystemStore();

  /** A switch's short name where it has one ("BN"), else its own name. */
  function shortName(name: string): string {
    return te(`runNames.short.${name}`) ? t(`runNames.short.${name}`) : name;
  }

  function chip(name: string, value: SwitchValue): string {
    if (typeof value === 'boolean') return value ? shortName(name) : t('runNames.without', { name: shortName(name) });
    // An activation is known by its own name; any other value needs the switch's name.
    if (name === 'activation') return String(value);
    return t('runNames.value', { name: shortName(name), value: String(value) });
  }

  function chips(run: NamedRun): string[] {
    return changedSwitches(run.modelOptions, system.findModel(run.model)).map(([name, value]) => chip(name, value));
  }

  /** The model and its changed switches: "resnet20 · sigmoid"; just the model when nothing changed. */
  function defaultName(run: NamedRun): string {
    return [run.model, ...chips(run)].join(' · ');
  }

  /** The user's name for the run, else the default name. */
  function runName(run: NamedRun): string {
    return run.name || defaultName(run);
  }

  return { chips, defaultName, runName };
}

/** A network's description in the UI's language: the idea its family's paper brought. */
import { useI18n } from 'vue-i18n';

export function useFamilyIdea() {
  const { t, te } = useI18n();
  return (model: { family: string }): string => {
    const key = `models.families.${model.family}.idea`;
    return te(key) ? t(key) : t('models.otherFamily');
  };
}

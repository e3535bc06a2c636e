/**
 * A field's message (an i18n key with parameters, or the host's own text) in the UI's language,
 * its numbers written the way that language writes them. Every form shows its errors through this.
 */
import { useI18n } from 'vue-i18n';
import type { FieldMessage } from '../lib/issue-messages';

export function useFieldMessage(): (message: FieldMessage | null | undefined) => string {
  const { t, locale } = useI18n();
  return (message) => {
    if (!message) return '';
    if ('text' in message) return message.text;
    const format = new Intl.NumberFormat(locale.value, { maximumFractionDigits: 6 });
    const params = Object.fromEntries(Object.entries(message.params ?? {}).map(([name, value]) => [name, typeof value === 'number' ? format.format(value) : value]));
    return t(message.key, params);
  };
}

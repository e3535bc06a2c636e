/**
 * vue-i18n in composition mode. Messages are plain objects: vue-i18n 11 compiles them to an AST
 * and interprets it (no `new Function`), so the strict CSP needs no 'unsafe-eval'.
 */
import { createI18n } from 'vue-i18n';
import en, { type Messages } from './en';
import zhCN from './zh-CN';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
/** Each language names itself in the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

const STORAGE_KEY = 'cvb.locale';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The saved choice, else the browser's language (any Chinese picks zh-CN), else English. */
export function detectLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (isLocale(saved)) return saved;
  const preferred = globalThis.navigator?.languages?.[0] ?? globalThis.navigator?.language ?? 'en';
  return /^zh\b/i.test(preferred) ? 'zh-CN' : 'en';
}

export function createAppI18n(locale: Locale = detectLocale()) {
  applyDocumentLanguage(locale);
  return createI18n<[Messages], Locale, false>({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages: { en, 'zh-CN': zhCN },
  });
}

export type AppI18n = ReturnType<typeof createAppI18n>;

export function applyDocumentLanguage(locale: Locale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

export function saveLocale(locale: Locale): void {
  globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  applyDocumentLanguage(locale);
}

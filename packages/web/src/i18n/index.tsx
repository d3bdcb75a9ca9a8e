import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type Dictionary, type MessageKey } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type { MessageKey } from './en.ts';
export type Language = 'en-US' | 'zh-CN';
type Vars = Record<string, string | number>;
/** Keys that come as a `.one` / `.other` pair, addressed by their common stem. */
export type PluralKey = MessageKey extends infer K ? (K extends `${infer Stem}.one` ? Stem : never) : never;

export const LANGUAGES: readonly { code: Language; label: string; dict: Dictionary }[] = [
  { code: 'en-US', label: 'English', dict: en },
  { code: 'zh-CN', label: '简体中文', dict: zhCN },
];
const STORAGE_KEY = 'cr_language';

function detectLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en-US' || stored === 'zh-CN') return stored;
  return navigator.languages?.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en-US';
}

export type Translate = (key: MessageKey, vars?: Vars) => string;

export interface I18n {
  language: Language;
  setLanguage(lang: Language): void;
  t: Translate;
  /** Picks `<stem>.one` for 1 and `<stem>.other` otherwise; `{count}` is filled in. */
  tp(stem: PluralKey, count: number, vars?: Vars): string;
}

const fill = (text: string, vars?: Vars) => (vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : text);

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(detectLanguage);
  const dict = LANGUAGES.find((l) => l.code === language)!.dict;

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const setLanguage = useCallback((lang: Language) => {
    localStorage.setItem(STORAGE_KEY, lang);
    setLanguageState(lang);
  }, []);

  const value = useMemo<I18n>(() => {
    const t: Translate = (key, vars) => fill(dict[key] ?? en[key] ?? key, vars);
    return {
      language,
      setLanguage,
      t,
      tp: (stem, count, vars) => t(`${stem}.${count === 1 ? 'one' : 'other'}` as MessageKey, { count, ...vars }),
    };
  }, [dict, language, setLanguage]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}

import { useMemo } from 'react';
import { ApiError, NETWORK_ERROR } from '../../api/client.ts';
import { describeError } from '../../api/errors.ts';
import { useI18n } from '../../i18n/index.tsx';
import { adminEn, type AdminKey } from './en.ts';
import { adminZhCN } from './zh-CN.ts';

export type { AdminKey } from './en.ts';
type Vars = Record<string, string | number>;
export type AdminTranslate = (key: AdminKey, vars?: Vars) => string;

const fill = (text: string, vars?: Vars) => (vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : text);

export interface AdminI18n {
  t: AdminTranslate;
  /** `<stem>.one` for 1, `<stem>.other` otherwise, with `{count}`. */
  tp(stem: string, count: number, vars?: Vars): string;
  /** A key built at run time (settings labels, option names); `fallback` when it is unknown. */
  tx(key: string, fallback?: string): string;
  /** The message to show for a failed admin call: our text for the code plus the server's detail. */
  err(e: unknown): string;
  language: string;
}

/** The admin dictionary in the UI language (falls back to English), and error texts. */
export function useAdminI18n(): AdminI18n {
  const main = useI18n();
  const { language } = main;
  return useMemo(() => {
    const dict: Record<string, string> = language === 'zh-CN' ? adminZhCN : adminEn;
    const tx = (key: string, fallback?: string) => dict[key] ?? (adminEn as Record<string, string>)[key] ?? fallback ?? key;
    const t: AdminTranslate = (key, vars) => fill(tx(key), vars);
    const err = (e: unknown): string => {
      if (e instanceof ApiError && e.code !== NETWORK_ERROR) {
        const own = dict[`admin.error.${e.code}`];
        if (own) return own.includes('{msg}') ? fill(own, { msg: e.message }) : e.message ? `${own} (${e.message})` : own;
      }
      const text = describeError(e, main.t, main.language);
      // For codes the main UI words generically, keep the API's own message visible to admins.
      return e instanceof ApiError && e.message && !text.includes(e.message) && e.code !== NETWORK_ERROR ? `${text} (${e.message})` : text;
    };
    return {
      t,
      tx,
      tp: (stem, count, vars) => fill(tx(`${stem}.${count === 1 ? 'one' : 'other'}`), { count, ...vars }),
      err,
      language,
    };
  }, [language, main]);
}

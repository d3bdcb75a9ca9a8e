import { useMemo } from 'react';
import { Code } from '@cloudreve-ts/protocol';
import { ApiError } from '../../api/client.ts';
import { describeError } from '../../api/errors.ts';
import { useI18n, type Language } from '../../i18n/index.tsx';
import { tasksEn, type TasksKey } from './en.ts';
import { tasksZhCN } from './zh-CN.ts';

export type { TasksKey } from './en.ts';
type Vars = Record<string, string | number>;

const fill = (text: string, vars?: Vars) => (vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : text);

export interface TasksI18n {
  language: Language;
  t(key: TasksKey, vars?: Vars): string;
  /** `<stem>.one` for 1, `<stem>.other` otherwise, with `{count}` filled in. */
  tp(stem: string, count: number, vars?: Vars): string;
  /** A key built at run time (status, phase, type); `fallback` when unknown. */
  tx(key: string, fallback: string): string;
  /** The text for a failed task call; `what` picks the wording of the permission error. */
  err(e: unknown, what: 'download' | 'archive'): string;
}

/** Text of the task pages in the UI language (English for missing keys). */
export function useTasksI18n(): TasksI18n {
  const main = useI18n();
  const { language } = main;
  return useMemo(() => {
    const dict: Record<string, string> = language === 'zh-CN' ? tasksZhCN : tasksEn;
    const tx = (key: string, fallback: string) => dict[key] ?? (tasksEn as Record<string, string>)[key] ?? fallback;
    const t = (key: TasksKey, vars?: Vars) => fill(tx(key, key), vars);
    const tp = (stem: string, count: number, vars?: Vars) => fill(tx(`${stem}.${count === 1 ? 'one' : 'other'}`, stem), { count, ...vars });
    const err = (e: unknown, what: 'download' | 'archive') => {
      if (e instanceof ApiError) {
        if (e.code === Code.GroupNotAllowed) return t(`error.40007.${what}`);
        if (e.code === Code.BatchAria2Size && what === 'download') return t('error.40015.download');
        // 40001 carries the reason (a refused URL, a bad destination) in the server's message.
        if (e.code === Code.ParamErr) return e.message ? t('error.40001', { msg: e.message }) : t('error.40001.plain');
      }
      return describeError(e, main.t, language);
    };
    return { language, t, tp, tx, err };
  }, [language, main.t]);
}

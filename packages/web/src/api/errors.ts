import { Code } from '@cloudreve-ts/protocol';
import { en, type MessageKey } from '../i18n/en.ts';
import type { Language, Translate } from '../i18n/index.tsx';
import { ApiError, NETWORK_ERROR } from './client.ts';

/** Codes whose English server message carries useful detail (a field rule, a wait time). */
const SERVER_DETAIL = new Set<number>([Code.ParamErr, Code.CaptchaRefreshNeeded, Code.TooManyUris]);

const keyOf = (code: number) => `error.${code}` as MessageKey;
const hasText = (code: number) => keyOf(code) in en;

function messageFor(code: number, serverMsg: string, t: Translate, language: Language): string {
  if (code === NETWORK_ERROR) return t('error.network');
  if (SERVER_DETAIL.has(code) && serverMsg && language === 'en-US') return serverMsg;
  if (hasText(code)) return t(keyOf(code));
  return serverMsg || t('error.unknown', { code });
}

/**
 * The text to show for a failed call, in the UI language: by code (the server's English `msg` is
 * the fallback for codes this UI has no text for); a batch failure (40081) names what failed.
 */
export function describeError(err: unknown, t: Translate, language: Language): string {
  if (!(err instanceof ApiError)) return t('error.unknown', { code: -1 });
  if (err.code === Code.BatchOperationNotFullyCompleted && err.aggregated) {
    const inner = Object.values(err.aggregated);
    if (inner.length === 1) return messageFor(inner[0]!.code, inner[0]!.msg, t, language);
    const distinct = [...new Set(inner.map((e) => messageFor(e.code, e.msg, t, language)))];
    return `${t('error.40081')} ${distinct.slice(0, 3).join(' ')}`;
  }
  return messageFor(err.code, err.message, t, language);
}

export const isCode = (err: unknown, code: number) => err instanceof ApiError && err.code === code;

import type { Envelope } from '@cloudreve-ts/protocol';
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from './errors.ts';

export function ok<T>(data?: T): Envelope<T> {
  return data === undefined ? { code: 0, msg: '' } : { code: 0, data, msg: '' };
}

/** Envelope for an error; `debug` adds the internal cause text. Never includes a stack. */
export function errorEnvelope(err: AppError, correlationId: string, debug: boolean): Envelope {
  const env: Envelope = { code: err.code, msg: err.message, correlation_id: correlationId };
  if (err.options.data !== undefined) env.data = err.options.data;
  if (debug && err.options.cause) env.error = String((err.options.cause as Error)?.message ?? err.options.cause);
  if (err.options.aggregated) {
    env.aggregated_error = {};
    for (const [id, e] of Object.entries(err.options.aggregated)) {
      env.aggregated_error[id] = { code: e.code, msg: e.message, correlation_id: correlationId };
    }
  }
  return env;
}

const FIELD_NAMES: Record<string, string> = { email: 'Email', password: 'Password', path: 'Path', nick: 'Nickname', nickname: 'Nickname' };
const goName = (json: string) =>
  FIELD_NAMES[json] ?? json.split('_').map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p)).join('');

interface AjvError { keyword: string; instancePath: string; params: Record<string, unknown>; message?: string }

/** Contract 00 §4.1: `<Field> <rule>` from the first failing field. */
export function validationMessage(errors: AjvError[]): string {
  const e = errors[0];
  if (!e) return 'Parameter error';
  const field =
    e.keyword === 'required'
      ? String(e.params.missingProperty ?? '')
      : e.instancePath.split('/').filter(Boolean).filter((p) => !/^\d+$/.test(p)).pop() ?? '';
  const name = goName(field);
  switch (e.keyword) {
    case 'required': return `${name} cannot be empty`;
    case 'minLength': case 'minItems': case 'minimum': return `${name} too short`;
    case 'maxLength': case 'maxItems': case 'maximum': return `${name} too long`;
    case 'format': return `${name} format error`;
    case 'type': return 'JSON marshall error';
    default: return `${name} is invalid`;
  }
}

export const internalError = (cause: unknown) => new AppError(Code.DBError, 'Internal server error', { cause });

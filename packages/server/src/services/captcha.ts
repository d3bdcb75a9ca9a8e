import { createRequire } from 'node:module';
import { loadSharp } from '../util/lazy-modules.ts';
import { randomInt } from 'node:crypto';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { AppError } from '../http/errors.ts';
import { randomString, safeEqual, uuid } from '../util/random.ts';

/**
 * Captcha for the flows that opt in (contract 00 §5.7): the built-in image captcha (`normal`;
 * deprecated `tcaptcha` is treated the same) and the remote verifiers reCAPTCHA v2, Cloudflare
 * Turnstile and Cap. Every failure is 40026.
 */

// svg-captcha's default export renders a given text; its own text generator uses Math.random,
// so the challenge text comes from the CSPRNG here and only the drawing is left to the library.
type RenderSvg = (text: string, options: Record<string, unknown>) => string;
const renderSvg = createRequire(import.meta.url)('svg-captcha') as RenderSvg;

export type CaptchaFlow = 'login' | 'reg' | 'forget';
export interface CaptchaInput { captcha?: string; ticket?: string }
export interface CaptchaResponse { image: string; ticket: string }

const TICKET_TTL_SECONDS = 600;
const ticketKey = (ticket: string) => `captcha_${ticket}`;

const DIGITS = '0123456789';
// Letters that do not look alike in the captcha font; answers are compared case-insensitively.
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz';
const ALNUM = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz';

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

/** Challenge text and expected answer for `captcha_mode` (0 digits, 1 letters, 2 arithmetic, 3 mixed). */
function challenge(mode: number, length: number): { text: string; answer: string } {
  switch (mode) {
    case 0: { const t = randomString(length, DIGITS); return { text: t, answer: t }; }
    case 1: { const t = randomString(length, LETTERS); return { text: t, answer: t }; }
    case 2: {
      const a = randomInt(1, 10);
      const b = randomInt(1, 10);
      if (randomInt(2) === 0) return { text: `${a}+${b}=?`, answer: String(a + b) };
      const [hi, lo] = a >= b ? [a, b] : [b, a];
      return { text: `${hi}-${lo}=?`, answer: String(hi - lo) };
    }
    default: { const t = randomString(length, ALNUM); return { text: t, answer: t }; }
  }
}

/** A new one-time image captcha (PNG data URI) remembered for about ten minutes. */
export async function createCaptcha(ctx: Ctx): Promise<CaptchaResponse> {
  const s = ctx.settings;
  const width = clamp(s.int('captcha_width', 240), 60, 1000);
  const height = clamp(s.int('captcha_height', 60), 20, 400);
  const length = clamp(s.int('captcha_CaptchaLen', 6), 1, 12);
  const { text, answer } = challenge(s.int('captcha_mode', 3), length);
  const noise = ['captcha_IsShowHollowLine', 'captcha_IsShowSlimeLine', 'captcha_IsShowSineLine'].filter((k) => s.bool(k)).length * 2;
  const fontSize = Math.round(Math.min(height * 0.9, ((width - 2) / (text.length + 1)) * 1.6));
  // Dark glyphs flattened onto a light background stay readable in the client's dark theme too.
  const svg = renderSvg(text, { width, height, fontSize, noise, color: false });
  const sharp = await loadSharp();
  const png = await sharp(Buffer.from(svg)).flatten({ background: '#f4f6f8' }).png().toBuffer();
  const ticket = uuid();
  await ctx.kv.set(ticketKey(ticket), answer, TICKET_TTL_SECONDS);
  return { image: `data:image/png;base64,${png.toString('base64')}`, ticket };
}

const fail = (msg: string, cause?: unknown) => new AppError(Code.CaptchaError, msg, { cause });

/** Built-in captcha: the ticket is consumed by any attempt, right or wrong. */
async function verifyImageCaptcha(ctx: Ctx, input: CaptchaInput): Promise<void> {
  const ticket = input.ticket ?? '';
  const typed = (input.captcha ?? '').trim().toLowerCase();
  const expected = ticket ? await ctx.kv.take<string>(ticketKey(ticket)) : undefined;
  if (expected === undefined || !typed || !safeEqual(typed, String(expected).toLowerCase())) throw fail('CAPTCHA not match.');
}

/** POSTs to a verifier and requires `{"success": true}`; network errors and timeouts fail. */
async function remoteVerify(ctx: Ctx, url: string, body: { form: Record<string, string> } | { json: Record<string, string> }): Promise<void> {
  const timeoutMs = clamp(ctx.settings.int('captcha_verify_timeout', 10), 1, 60) * 1000;
  let result: unknown;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'form' in body ? 'application/x-www-form-urlencoded' : 'application/json', accept: 'application/json' },
      body: 'form' in body ? new URLSearchParams(body.form).toString() : JSON.stringify(body.json),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) throw new Error(`verifier answered HTTP ${res.status}`);
    result = JSON.parse(await res.text());
  } catch (cause) {
    ctx.log.warn('captcha verification request failed', { error: String((cause as Error)?.message ?? cause) });
    throw fail('Captcha validation failed', cause);
  }
  if ((result as { success?: unknown } | null)?.success !== true) throw fail('Captcha validation failed');
}

/** Enforces the captcha of `flow` when its setting (`login_captcha`, `reg_captcha`, `forget_captcha`) is on. */
export async function checkCaptcha(ctx: Ctx, flow: CaptchaFlow, input: CaptchaInput, remoteIp?: string): Promise<void> {
  const s = ctx.settings;
  if (!s.bool(`${flow}_captcha`)) return;
  switch (s.get('captcha_type', 'normal')) {
    case 'recaptcha': {
      if (!input.captcha) throw fail('Verification failed, please refresh the page and retry.');
      const form: Record<string, string> = { secret: s.get('captcha_ReCaptchaSecret'), response: input.captcha };
      if (remoteIp) form.remoteip = remoteIp;
      try {
        await remoteVerify(ctx, s.get('captcha_recaptcha_verify_url'), { form });
      } catch (e) {
        throw fail('Verification failed, please refresh the page and retry.', (e as AppError).options?.cause);
      }
      return;
    }
    case 'turnstile': {
      if (!input.ticket) throw fail('Captcha validation failed');
      await remoteVerify(ctx, s.get('captcha_turnstile_verify_url'), { form: { secret: s.get('captcha_turnstile_site_secret'), response: input.ticket } });
      return;
    }
    case 'cap': {
      const instance = s.get('captcha_cap_instance_url').trim().replace(/\/+$/, '');
      const siteKey = s.get('captcha_cap_site_key').trim();
      const secret = s.get('captcha_cap_secret_key');
      if (!instance || !siteKey || !secret) throw fail('Captcha configuration error');
      if (!input.ticket) throw fail('Captcha validation failed');
      await remoteVerify(ctx, `${instance}/${encodeURIComponent(siteKey)}/siteverify`, { json: { secret, response: input.ticket } });
      return;
    }
    default:
      await verifyImageCaptcha(ctx, input);
  }
}

import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import type { UserRow } from './users.ts';
import { AppError } from '../http/errors.ts';
import { parseJson } from '../util/json.ts';

/** One entry of `mail_activation_template` / `mail_reset_template`. */
export interface MailTemplate { language: string; title: string; body: string }

export interface Mail { to: string; subject: string; html: string }

/** Mail is usable when an SMTP host is set. */
export const mailConfigured = (ctx: Ctx): boolean => ctx.settings.get('smtpHost').trim() !== '';

/** Origin of the primary `siteURL` entry; path components are dropped (contract 10 §5). */
export function siteRoot(ctx: Ctx): string {
  const first = ctx.settings.get('siteURL', 'http://localhost:5212').split(',')[0]!.trim();
  try {
    return new URL(first).origin;
  } catch {
    return 'http://localhost:5212';
  }
}

/** The template whose language matches (case-insensitively), else the first one. */
export function pickTemplate(templates: MailTemplate[], language?: string): MailTemplate | undefined {
  const wanted = language?.toLowerCase();
  return (wanted && templates.find((t) => t.language?.toLowerCase() === wanted)) || templates[0];
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * Replaces Go-template style placeholders such as `{{ .User.Nick }}` with values from `vars`
 * (keys are the dotted paths without the leading dot). Unknown placeholders are left as they
 * are. With `html` the values are HTML-escaped, so a nickname cannot inject markup.
 */
export function renderTemplate(text: string, vars: Record<string, string>, html: boolean): string {
  // Go's `{{-` / `-}}` markers also swallow the whitespace beside them.
  const trimmed = text.replace(/\s*\{\{- /g, '{{ ').replace(/ -\}\}\s*/g, ' }}');
  return trimmed.replace(/\{\{\s*\.([A-Za-z0-9_.]+)\s*\}\}/g, (whole, key: string) => {
    const v = vars[key];
    if (v === undefined) return whole;
    return html ? escapeHtml(v) : v;
  });
}

/** Placeholder values for a mail about `user` carrying `url` (names as in Cloudreve's editor). */
export function templateVars(ctx: Ctx, user: Pick<UserRow, 'id' | 'email' | 'nick' | 'storage'>, url: string): Record<string, string> {
  const root = siteRoot(ctx);
  const abs = (p: string) => (/^https?:\/\//i.test(p) ? p : root + (p.startsWith('/') ? p : `/${p}`));
  return {
    'CommonContext.SiteBasic.Name': ctx.settings.get('siteName'),
    'CommonContext.SiteBasic.Description': ctx.settings.get('siteDes'),
    'CommonContext.SiteBasic.ID': ctx.settings.get('siteID'),
    'CommonContext.Logo.Normal': abs(ctx.settings.get('site_logo')),
    'CommonContext.Logo.Light': abs(ctx.settings.get('site_logo_light')),
    'CommonContext.SiteUrl': root,
    'User.ID': String(user.id),
    'User.Email': user.email,
    'User.Nick': user.nick,
    'User.Storage': String(user.storage),
    Url: url,
  };
}

/** SMTP connection and sender settings, as the `smtp*`/`from*` settings hold them. */
export interface SmtpSettings {
  smtpHost: string;
  smtpPort: number;
  smtpUser: string;
  smtpPass: string;
  /** true: implicit TLS. */
  smtpEncryption: boolean;
  fromAdress: string;
  fromName: string;
  replyTo: string;
}

export function smtpFromSettings(ctx: Ctx): SmtpSettings {
  const s = ctx.settings;
  return {
    smtpHost: s.get('smtpHost').trim(), smtpPort: s.int('smtpPort', 25), smtpUser: s.get('smtpUser'), smtpPass: s.get('smtpPass'),
    smtpEncryption: s.bool('smtpEncryption'), fromAdress: s.get('fromAdress'), fromName: s.get('fromName'), replyTo: s.get('replyTo').trim(),
  };
}

/** Sends one HTML mail through `smtp`; transport errors are thrown as they are. */
export async function deliverMail(smtp: SmtpSettings, mail: Mail): Promise<void> {
  // One connection per mail: account mails are rare, and a fresh transport always sees the
  // current settings. Timeouts keep a dead SMTP server from holding the request.
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: smtp.smtpHost,
    port: smtp.smtpPort,
    secure: smtp.smtpEncryption,
    auth: smtp.smtpUser ? { user: smtp.smtpUser, pass: smtp.smtpPass } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  try {
    await transport.sendMail({
      from: { name: smtp.fromName, address: smtp.fromAdress },
      to: mail.to,
      replyTo: smtp.replyTo || undefined,
      subject: mail.subject,
      html: mail.html,
    });
  } finally {
    transport.close();
  }
}

/** Sends one HTML mail through the configured SMTP server; any failure is 40028. */
export async function sendMail(ctx: Ctx, mail: Mail): Promise<void> {
  if (!mailConfigured(ctx)) throw new AppError(Code.FailedSendEmail, 'Failed to send email: no SMTP server is configured (setting smtpHost)');
  try {
    await deliverMail(smtpFromSettings(ctx), mail);
  } catch (cause) {
    ctx.log.warn('mail delivery failed', { to_domain: mail.to.split('@')[1], error: String((cause as Error)?.message ?? cause) });
    throw new AppError(Code.FailedSendEmail, 'Failed to send email', { cause });
  }
}

/** Renders the template stored in setting `templateSetting` for `user` and sends it. */
export async function sendTemplateMail(
  ctx: Ctx,
  templateSetting: 'mail_activation_template' | 'mail_reset_template',
  user: Pick<UserRow, 'id' | 'email' | 'nick' | 'storage' | 'settings'>,
  url: string,
): Promise<void> {
  const language = parseJson<{ language?: string }>(user.settings, {}).language;
  const stored = ctx.settings.json<unknown>(templateSetting, []);
  const template = pickTemplate(Array.isArray(stored) ? (stored as MailTemplate[]).filter((t) => t && typeof t.title === 'string' && typeof t.body === 'string') : [], language);
  if (!template) throw new AppError(Code.FailedSendEmail, `Failed to send email: setting ${templateSetting} has no template`);
  const vars = templateVars(ctx, user, url);
  await sendMail(ctx, { to: user.email, subject: renderTemplate(template.title, vars, false), html: renderTemplate(template.body, vars, true) });
}

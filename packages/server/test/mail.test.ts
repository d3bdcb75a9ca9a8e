import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { Mailbox } from './helpers/mailbox.ts';
import { pickTemplate, renderTemplate, sendMail, sendTemplateMail, siteRoot } from '../src/services/mail.ts';
import { AppError } from '../src/http/errors.ts';

describe('mail templates', () => {
  const list = [
    { language: 'en-US', title: 'English', body: 'en' },
    { language: 'zh-CN', title: '中文', body: 'zh' },
  ];

  it('picks the entry of the user language (case-insensitively), else the first', () => {
    expect(pickTemplate(list, 'zh-CN')!.title).toBe('中文');
    expect(pickTemplate(list, 'ZH-cn')!.title).toBe('中文');
    expect(pickTemplate(list, 'de-DE')!.title).toBe('English');
    expect(pickTemplate(list, undefined)!.title).toBe('English');
    expect(pickTemplate([], 'en-US')).toBeUndefined();
  });

  it('replaces Go-template placeholders, escaping values in HTML only', () => {
    const vars = { 'User.Nick': '<b>&"\'', Url: 'https://x.test/a?b=1&c=2' };
    expect(renderTemplate('Hi {{ .User.Nick }} {{.Url}} {{- .Url -}} {{ .Missing }}', vars, true))
      .toBe('Hi &lt;b&gt;&amp;&quot;&#39; https://x.test/a?b=1&amp;c=2https://x.test/a?b=1&amp;c=2{{ .Missing }}');
    expect(renderTemplate('[{{ .User.Nick }}]', vars, false)).toBe('[<b>&"\']');
  });
});

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`mail delivery on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let mailbox: Mailbox;
    const ctx = () => ts.server.ctx;
    const settings = (v: Record<string, string>) => ctx().settings.set(v);
    const failsWith40028 = async (p: Promise<unknown>, msg: RegExp) => {
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe(40028);
      expect((err as AppError).message).toMatch(msg);
    };

    beforeAll(async () => {
      mailbox = await Mailbox.start();
      ts = await startServer(backend);
    });
    afterAll(async () => {
      await ts?.close();
      await mailbox?.close();
    });
    afterEach(async () => settings({ ...mailbox.settings(), replyTo: '' }));

    it('delivers UTF-8 subject and body with the configured sender and reply-to', async () => {
      await settings({ ...mailbox.settings(), fromName: 'Wolke ☁', replyTo: 'help@test.local' });
      const since = mailbox.messages.length;
      await sendMail(ctx(), { to: 'someone@example.com', subject: 'Grüße – 你好', html: '<p>Körper 本文</p>' });
      const m = await mailbox.waitFor('someone@example.com', since);
      expect(m.subject).toBe('Grüße – 你好');
      expect(m.html).toContain('<p>Körper 本文</p>');
      expect(m.from).toBe('noreply@test.local');
      expect(m.raw).toMatch(/^Reply-To: help@test\.local/m);
      expect(m.raw).toMatch(/^From: =\?UTF-8\?/m);
    });

    it('authenticates when smtpUser is set', async () => {
      const guarded = await Mailbox.start({ auth: { user: 'mailer', pass: 's3cret' } });
      try {
        await settings({ ...guarded.settings(), smtpUser: 'mailer', smtpPass: 's3cret' });
        await sendMail(ctx(), { to: 'a@example.com', subject: 's', html: 'b' });
        expect(guarded.messages).toHaveLength(1);
        await settings({ smtpPass: 'wrong' });
        await failsWith40028(sendMail(ctx(), { to: 'a@example.com', subject: 's', html: 'b' }), /^Failed to send email$/);
      } finally {
        await guarded.close();
      }
    });

    it('fails with 40028 when SMTP is not configured, refuses, or is unreachable', async () => {
      await settings({ smtpHost: '' });
      await failsWith40028(sendMail(ctx(), { to: 'a@example.com', subject: 's', html: 'b' }), /no SMTP server is configured/);
      const refusing = await Mailbox.start({ rejectAll: true });
      try {
        await settings(refusing.settings());
        await failsWith40028(sendMail(ctx(), { to: 'a@example.com', subject: 's', html: 'b' }), /^Failed to send email$/);
      } finally {
        await refusing.close();
      }
      await settings({ smtpHost: '127.0.0.1', smtpPort: '1' });
      await failsWith40028(sendMail(ctx(), { to: 'a@example.com', subject: 's', html: 'b' }), /^Failed to send email$/);
    });

    it('renders a template setting for a user, and refuses a broken template setting', async () => {
      await settings({ siteName: 'MailCloud', siteURL: 'https://files.example.org/cloud/', mail_reset_template: JSON.stringify([{ language: 'en-US', title: '{{ .CommonContext.SiteBasic.Name }}', body: '{{ .CommonContext.SiteUrl }} {{ .User.ID }} {{ .User.Email }} {{ .Url }} {{ .CommonContext.Logo.Normal }}' }]) });
      expect(siteRoot(ctx())).toBe('https://files.example.org');
      const since = mailbox.messages.length;
      const user = { id: 42, email: 'tpl@example.com', nick: 'tpl', storage: 7, settings: '{"language":"fr-FR"}' };
      await sendTemplateMail(ctx(), 'mail_reset_template', user, 'https://files.example.org/session/reset?id=x&secret=y');
      const m = await mailbox.waitFor('tpl@example.com', since);
      expect(m.subject).toBe('MailCloud');
      expect(m.html).toBe('https://files.example.org 42 tpl@example.com https://files.example.org/session/reset?id=x&amp;secret=y https://files.example.org/static/img/logo.svg');
      await settings({ mail_reset_template: 'not json' });
      await failsWith40028(sendTemplateMail(ctx(), 'mail_reset_template', user, 'u'), /has no template/);
      await settings({ mail_reset_template: '[{"language":"en-US"}]' });
      await failsWith40028(sendTemplateMail(ctx(), 'mail_reset_template', user, 'u'), /has no template/);
    });
  });
}

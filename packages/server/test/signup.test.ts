import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { firstLink, Mailbox } from './helpers/mailbox.ts';
import { signPath } from '../src/services/signing.ts';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const templates = (kind: string) => JSON.stringify([
  { language: 'en-US', title: `[{{ .CommonContext.SiteBasic.Name }}] ${kind}`, body: `<p>Hi {{ .User.Nick }} ({{ .User.Email }})</p><a href="{{ .Url }}">${kind}</a> {{ .Unknown.Thing }}` },
  { language: 'zh-CN', title: `${kind} 中文 ✓`, body: `<p>你好 {{.User.Nick}}</p><a href="{{.Url}}">链接</a>` },
]);

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`sign-up and account lifecycle on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let mailbox: Mailbox;
    const clock = { offset: 0 };
    const db = () => ts.server.ctx.db.kysely;
    const settings = (v: Record<string, string>) => ts.server.ctx.settings.set(v);
    const user = (email: string) => db().selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    const ctx = () => ts.server.ctx;

    beforeAll(async () => {
      mailbox = await Mailbox.start();
      ts = await startServer(backend, { now: () => Date.now() + clock.offset });
      await ts.client().post('/user', { email: 'admin@example.com', password: 'adminpass' });
      await settings({ ...mailbox.settings(), siteName: 'TestCloud', siteURL: 'https://cloud.example.com/sub/path,https://other.example.com', mail_activation_template: templates('Activate'), mail_reset_template: templates('Reset') });
    });
    afterAll(async () => {
      await ts?.close();
      await mailbox?.close();
    });
    afterEach(async () => {
      clock.offset = 0;
      await settings({ ...mailbox.settings(), email_active: '0', register_enabled: '1' });
    });

    describe('POST /user', () => {
      it('creates an active account and returns the full user, without tokens', async () => {
        const r = await ts.client().post('/user', { email: 'Carol.Smith@Example.com', password: 'carolpass', language: 'zh-CN' });
        expect(r.code).toBe(0);
        expect(r.data).toMatchObject({ email: 'carol.smith@example.com', nickname: 'carol.smith', status: 'active', language: 'zh-CN', group: { name: 'User' } });
        expect(r.data.token).toBeUndefined();
        const settingsJson = JSON.parse((await user('carol.smith@example.com'))!.settings);
        expect(settingsJson).toMatchObject({ version_retention: true, version_retention_max: 10, language: 'zh-CN' });
        expect((await ts.client().post('/user', { email: 'carol.smith@example.com', password: 'otherpass' })).code).toBe(40032);
      });

      it('answers 40019 when registration is closed', async () => {
        await settings({ register_enabled: '0' });
        expect(await ts.client().post('/user', { email: 'closed@example.com', password: 'closedpass' })).toMatchObject({ code: 40019, msg: 'This feature is not enabled' });
        expect(await user('closed@example.com')).toBeUndefined();
      });

      it('rejects malformed bodies with 40001 and a clear message', async () => {
        const c = ts.client();
        const cases: [unknown, string][] = [
          [{ password: 'goodpass' }, 'Email cannot be empty'],
          [{ email: 'x@example.com' }, 'Password cannot be empty'],
          [{ email: 'x@', password: 'goodpass' }, 'Email format error'],
          [{ email: 'x@example.com', password: '12345' }, 'Password too short'],
          [{ email: 'x@example.com', password: 'p'.repeat(129) }, 'Password too long'],
          [{ email: 'x@example.com', password: 'goodpass', language: 'l'.repeat(256) }, 'Language too long'],
          [{ email: ['x@example.com'], password: 'goodpass' }, 'JSON marshall error'],
        ];
        for (const [body, msg] of cases) expect(await c.post('/user', body), msg).toMatchObject({ code: 40001, msg });
        const bad = await c.raw('POST', '/api/v4/user', { body: '{not json', headers: { 'content-type': 'application/json' } });
        expect(await bad.json()).toMatchObject({ code: 40001, msg: 'JSON marshall error' });
        expect(await user('x@example.com')).toBeUndefined();
      });

      it('with email_active but no SMTP host fails with 40028 and creates nothing', async () => {
        await settings({ email_active: '1', smtpHost: '' });
        const r = await ts.client().post('/user', { email: 'nosmtp@example.com', password: 'nosmtppass' });
        expect(r.code).toBe(40028);
        expect(r.msg).toMatch(/no SMTP server is configured/);
        expect(await user('nosmtp@example.com')).toBeUndefined();
      });

      it('with email_active creates an inactive account, mails a signed link that activates it', async () => {
        await settings({ email_active: '1' });
        const since = mailbox.messages.length;
        const r = await ts.client().post('/user', { email: 'dave@example.com', password: 'davepass', language: 'en-US' });
        expect(r).toEqual({ code: 203, msg: '' });
        expect((await user('dave@example.com'))!.status).toBe('inactive');
        expect((await ts.client().post('/session/token', { email: 'dave@example.com', password: 'davepass' })).code).toBe(40018);

        const mail = await mailbox.waitFor('dave@example.com', since);
        expect(mail.subject).toBe('[TestCloud] Activate');
        expect(mail.raw).toMatch(/^From: "?Cloudreve Test"? <noreply@test\.local>/m);
        expect(mail.html).toContain('Hi dave (dave@example.com)');
        expect(mail.html).toContain('{{ .Unknown.Thing }}');
        const link = firstLink(mail.html);
        expect(link.origin).toBe('https://cloud.example.com');
        expect(link.pathname).toBe('/session/activate');
        const id = link.searchParams.get('id')!;
        const sign = link.searchParams.get('sign')!;
        expect(sign).toMatch(/^[A-Za-z0-9_-]{43}=:\d+$/);
        const expires = Number(sign.split(':')[1]);
        expect(Math.abs(expires - (Date.now() / 1000 + 86400))).toBeLessThan(60);

        const activated = await ts.client().get(`/user/activate/${id}?sign=${encodeURIComponent(sign)}`);
        expect(activated.code).toBe(0);
        expect(activated.data).toMatchObject({ id, email: 'dave@example.com', status: 'active' });
        expect(await ts.client().get(`/user/activate/${id}?sign=${encodeURIComponent(sign)}`)).toMatchObject({ code: 40034 });
        expect((await ts.client().post('/session/token', { email: 'dave@example.com', password: 'davepass' })).code).toBe(0);
      });

      it('picks the mail template by the user language, else the first one', async () => {
        await settings({ email_active: '1' });
        let since = mailbox.messages.length;
        expect((await ts.client().post('/user', { email: 'zh@example.com', password: 'zhpass1', language: 'zh-cn' })).code).toBe(203);
        const zh = await mailbox.waitFor('zh@example.com', since);
        expect(zh.subject).toBe('Activate 中文 ✓');
        expect(zh.html).toContain('你好 zh');
        since = mailbox.messages.length;
        expect((await ts.client().post('/user', { email: 'fr@example.com', password: 'frpass1', language: 'fr-FR' })).code).toBe(203);
        expect((await mailbox.waitFor('fr@example.com', since)).subject).toBe('[TestCloud] Activate');
      });

      it('re-sends the activation mail with 40033 when an inactive account signs up again', async () => {
        await settings({ email_active: '1' });
        expect((await ts.client().post('/user', { email: 'eve@example.com', password: 'evepass1' })).code).toBe(203);
        const since = mailbox.messages.length;
        const again = await ts.client().post('/user', { email: 'EVE@example.com', password: 'differentpass' });
        expect(again.code).toBe(40033);
        expect(again.msg).toMatch(/activation email has been sent again/);
        const link = firstLink((await mailbox.waitFor('eve@example.com', since)).html);
        expect((await ts.client().get(`/user/activate/${link.searchParams.get('id')}?sign=${encodeURIComponent(link.searchParams.get('sign')!)}`)).code).toBe(0);
        // the first password stays; the second sign-up did not change it
        expect((await ts.client().post('/session/token', { email: 'eve@example.com', password: 'evepass1' })).code).toBe(0);
      });

      it('answers 40028 when the mail cannot be delivered, and the account can be re-sent later', async () => {
        await settings({ email_active: '1', smtpPort: String(await closedPort()) });
        const r = await ts.client().post('/user', { email: 'frank@example.com', password: 'frankpass' });
        expect(r).toMatchObject({ code: 40028, msg: 'Failed to send email' });
        expect((await user('frank@example.com'))!.status).toBe('inactive');
        await settings(mailbox.settings());
        const since = mailbox.messages.length;
        expect((await ts.client().post('/user', { email: 'frank@example.com', password: 'frankpass' })).code).toBe(40033);
        await mailbox.waitFor('frank@example.com', since);
      });

      it('answers 40028 when the SMTP server refuses the message', async () => {
        const refusing = await Mailbox.start({ rejectAll: true });
        try {
          await settings({ email_active: '1', ...refusing.settings() });
          expect((await ts.client().post('/user', { email: 'grace@example.com', password: 'gracepass' })).code).toBe(40028);
        } finally {
          await refusing.close();
        }
      });
    });

    describe('GET /user/activate/:id', () => {
      let id: string;
      let path: string;
      beforeAll(async () => {
        await settings({ email_active: '1' });
        await ts.client().post('/user', { email: 'heidi@example.com', password: 'heidipass' });
        await settings({ email_active: '0' });
        id = ts.server.ctx.hashids.encode((await user('heidi@example.com'))!.id, 1);
        path = `/api/v4/user/activate/${id}`;
      });
      const activate = (sign?: string, who = id) => ts.client().get(`/user/activate/${who}${sign === undefined ? '' : `?sign=${encodeURIComponent(sign)}`}`);

      it('checks the signature in the contract order', async () => {
        const future = Math.floor(Date.now() / 1000) + 3600;
        const good = signPath(ctx(), path, future);
        expect(await activate()).toMatchObject({ code: 403 });
        expect(await activate('')).toMatchObject({ code: 403 });
        expect(await activate(`${good.split(':')[0]}:`)).toMatchObject({ code: 403 });
        expect(await activate('no-colon-at-all')).toMatchObject({ code: 40071, msg: 'Invalid signature' });
        expect(await activate(`${good.split(':')[0]}:soon`)).toMatchObject({ code: 40071 });
        expect(await activate(signPath(ctx(), path, Math.floor(Date.now() / 1000) - 10))).toMatchObject({ code: 40005, msg: 'Signature expired' });
        expect(await activate(`${good.split(':')[0]}:${future + 1}`)).toMatchObject({ code: 40071 });
        const tampered = (good[0] === 'A' ? 'B' : 'A') + good.slice(1);
        expect(await activate(tampered)).toMatchObject({ code: 40071 });
        const otherUser = ts.server.ctx.hashids.encode(1, 1);
        expect(await activate(good, otherUser)).toMatchObject({ code: 40071 });
        clock.offset = 3700 * 1000;
        expect(await activate(good)).toMatchObject({ code: 40005 });
        clock.offset = 0;
        expect((await user('heidi@example.com'))!.status).toBe('inactive');
      });

      it('checks id, user and state after the signature', async () => {
        const exp = Math.floor(Date.now() / 1000) + 3600;
        expect(await activate(signPath(ctx(), '/api/v4/user/activate/notahashid', exp), 'notahashid')).toMatchObject({ code: 40001, msg: 'Failed to parse object ID' });
        const ghost = ts.server.ctx.hashids.encode(99999, 1);
        expect(await activate(signPath(ctx(), `/api/v4/user/activate/${ghost}`, exp), ghost)).toMatchObject({ code: 40021, msg: 'User not found' });
        const admin = ts.server.ctx.hashids.encode(1, 1);
        expect(await activate(signPath(ctx(), `/api/v4/user/activate/${admin}`, exp), admin)).toMatchObject({ code: 40034 });
        // expiry 0 never expires
        expect((await activate(signPath(ctx(), path, 0))).data.status).toBe('active');
      });
    });

    describe('password reset', () => {
      beforeAll(async () => {
        await ts.client().post('/user', { email: 'ivan@example.com', password: 'ivanpass1', language: 'en-US' });
      });
      const requestReset = async (email: string) => {
        const since = mailbox.messages.length;
        const r = await ts.client().post('/user/reset', { email });
        return { r, since };
      };
      const resetLink = async (email: string) => {
        const { r, since } = await requestReset(email);
        expect(r).toEqual({ code: 0, msg: '' });
        return firstLink((await mailbox.waitFor(email, since)).html);
      };

      it('mails a one-time link that sets a new password and ends old refresh tokens', async () => {
        const old = (await ts.client().post('/session/token', { email: 'ivan@example.com', password: 'ivanpass1' })).data;
        const link = await resetLink('IVAN@example.com');
        expect(link.origin).toBe('https://cloud.example.com');
        expect(link.pathname).toBe('/session/reset');
        const id = link.searchParams.get('id')!;
        const secret = link.searchParams.get('secret')!;
        expect(secret).toMatch(/^[0-9A-Za-z]{32}$/);
        const uid = (await user('ivan@example.com'))!.id;
        expect(await ts.server.ctx.kv.get(`user_reset_${uid}`)).toBe(secret);

        expect(await ts.client().patch(`/user/reset/${id}`, { secret: 'x'.repeat(32), password: 'newpass1' })).toMatchObject({ code: 40030, msg: 'Link is expired' });
        const done = await ts.client().patch(`/user/reset/${id}`, { secret, password: 'newpass1' });
        expect(done.code).toBe(0);
        expect(done.data).toMatchObject({ id, email: 'ivan@example.com', status: 'active' });
        expect(await ts.server.ctx.kv.get(`user_reset_${uid}`)).toBeUndefined();
        expect(await ts.client().patch(`/user/reset/${id}`, { secret, password: 'newpass2' })).toMatchObject({ code: 40030 });
        expect((await ts.client().post('/session/token', { email: 'ivan@example.com', password: 'ivanpass1' })).code).toBe(40080);
        expect((await ts.client().post('/session/token', { email: 'ivan@example.com', password: 'newpass1' })).code).toBe(0);
        expect((await ts.client().post('/session/token/refresh', { refresh_token: old.token.refresh_token })).code).toBe(40020);
      });

      it('keeps one secret per user: a new request replaces the previous one', async () => {
        const first = await resetLink('ivan@example.com');
        const second = await resetLink('ivan@example.com');
        const id = second.searchParams.get('id')!;
        expect(await ts.client().patch(`/user/reset/${id}`, { secret: first.searchParams.get('secret'), password: 'newpass3' })).toMatchObject({ code: 40030 });
        expect((await ts.client().patch(`/user/reset/${id}`, { secret: second.searchParams.get('secret'), password: 'newpass3' })).code).toBe(0);
      });

      it('only one of two concurrent uses of a secret succeeds', async () => {
        const link = await resetLink('ivan@example.com');
        const id = link.searchParams.get('id')!;
        const secret = link.searchParams.get('secret')!;
        const results = await Promise.all([1, 2, 3].map((n) => ts.client().patch(`/user/reset/${id}`, { secret, password: `racepass${n}` })));
        expect(results.map((r) => r.code).sort()).toEqual([0, 40030, 40030]);
      });

      it('answers success for unknown e-mails without sending mail', async () => {
        const { r, since } = await requestReset('stranger@example.com');
        expect(r).toEqual({ code: 0, msg: '' });
        await new Promise((res) => setTimeout(res, 200));
        expect(mailbox.messages.slice(since).some((m) => m.to.includes('stranger@example.com'))).toBe(false);
      });

      it('refuses banned (40017) and inactive (40018) accounts, and needs SMTP (40028)', async () => {
        await ts.client().post('/user', { email: 'judy@example.com', password: 'judypass' });
        await db().updateTable('users').set({ status: 'sys_banned' }).where('email', '=', 'judy@example.com').execute();
        expect((await ts.client().post('/user/reset', { email: 'judy@example.com' })).code).toBe(40017);
        await db().updateTable('users').set({ status: 'inactive' }).where('email', '=', 'judy@example.com').execute();
        expect((await ts.client().post('/user/reset', { email: 'judy@example.com' })).code).toBe(40018);
        await settings({ smtpHost: '' });
        expect((await ts.client().post('/user/reset', { email: 'ivan@example.com' })).code).toBe(40028);
        expect((await ts.client().post('/user/reset', { email: 'stranger@example.com' })).code).toBe(40028);
      });

      it('answers 40021 when the account stopped being active, keeping the secret', async () => {
        const link = await resetLink('ivan@example.com');
        const id = link.searchParams.get('id')!;
        const secret = link.searchParams.get('secret')!;
        await db().updateTable('users').set({ status: 'manual_banned' }).where('email', '=', 'ivan@example.com').execute();
        expect(await ts.client().patch(`/user/reset/${id}`, { secret, password: 'bannedpass' })).toMatchObject({ code: 40021, msg: 'User not found' });
        await db().updateTable('users').set({ status: 'active' }).where('email', '=', 'ivan@example.com').execute();
        expect((await ts.client().patch(`/user/reset/${id}`, { secret, password: 'backagain' })).code).toBe(0);
      });

      it('escapes user-controlled text in the mail body', async () => {
        await db().updateTable('users').set({ nick: '<img src=x onerror=alert(1)>' }).where('email', '=', 'ivan@example.com').execute();
        const { since } = await requestReset('ivan@example.com');
        const mail = await mailbox.waitFor('ivan@example.com', since);
        expect(mail.html).toContain('Hi &lt;img src=x onerror=alert(1)&gt;');
        expect(mail.html).not.toContain('<img');
      });

      it('rejects malformed requests with 40001', async () => {
        const c = ts.client();
        const id = ts.server.ctx.hashids.encode((await user('ivan@example.com'))!.id, 1);
        expect(await c.post('/user/reset', {})).toMatchObject({ code: 40001, msg: 'Email cannot be empty' });
        expect(await c.post('/user/reset', { email: 'bad' })).toMatchObject({ code: 40001, msg: 'Email format error' });
        expect(await c.patch(`/user/reset/${id}`, { secret: 'abc' })).toMatchObject({ code: 40001, msg: 'Password cannot be empty' });
        expect(await c.patch(`/user/reset/${id}`, { password: 'goodpass' })).toMatchObject({ code: 40001, msg: 'Secret cannot be empty' });
        expect(await c.patch(`/user/reset/${id}`, { secret: 'abc', password: '12345' })).toMatchObject({ code: 40001, msg: 'Password too short' });
        expect(await c.patch(`/user/reset/${id}`, { secret: 's'.repeat(129), password: 'goodpass' })).toMatchObject({ code: 40001, msg: 'Secret too long' });
        expect(await c.patch('/user/reset/notanid', { secret: 'abc', password: 'goodpass' })).toMatchObject({ code: 40001, msg: 'Failed to parse object ID' });
        expect(await c.patch(`/user/reset/${ts.server.ctx.hashids.encode(5, 0)}`, { secret: 'abc', password: 'goodpass' })).toMatchObject({ code: 40001, msg: 'Failed to parse object ID' });
        // an unknown user has no secret: same answer as a wrong one
        expect(await c.patch(`/user/reset/${ts.server.ctx.hashids.encode(99999, 1)}`, { secret: 'abc', password: 'goodpass' })).toMatchObject({ code: 40030 });
      });
    });
  });
}

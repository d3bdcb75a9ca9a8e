import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { Client } from './helpers/client.ts';

const totpAt = (secret: string, ms: number) => TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: ms });
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`sessions on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    const clock = { offset: 0 };
    const db = () => ts.server.ctx.db.kysely;
    const settings = (v: Record<string, string>) => ts.server.ctx.settings.set(v);
    let ipSeq = 0;
    /** A client whose requests come from their own address (X-Forwarded-For is trusted by default). */
    const clientFrom = (ip = `10.0.${Math.floor(++ipSeq / 250)}.${ipSeq % 250}`) => {
      const c = ts.client();
      const call = c.call.bind(c);
      c.call = (m, p, b, h) => call(m, p, b, { 'x-forwarded-for': ip, ...h });
      return c;
    };
    const userId = async (email: string) => (await db().selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;

    beforeAll(async () => {
      ts = await startServer(backend, { now: () => Date.now() + clock.offset });
      await ts.client().post('/user', { email: 'admin@example.com', password: 'adminpass' });
    });
    afterAll(async () => ts?.close());
    afterEach(async () => {
      clock.offset = 0;
      await settings({ login_rate_limit: '10', login_ip_rate_limit: '50', login_rate_window: '600' });
    });

    describe('POST /session/token', () => {
      it('signs in and returns user plus token pair with contract claims', async () => {
        const c = clientFrom();
        await c.post('/user', { email: 'alice@example.com', password: 'alicepass' });
        const ok = await c.post('/session/token', { email: 'Alice@Example.com', password: 'alicepass' });
        expect(ok.code).toBe(0);
        expect(ok.data.user.email).toBe('alice@example.com');
        const { access_token, refresh_token, access_expires, refresh_expires } = ok.data.token;
        const access = decodeJwt(access_token);
        const refresh = decodeJwt(refresh_token);
        expect(Object.keys(access).sort()).toEqual(['exp', 'nbf', 'sub', 'token_type']);
        expect(access.token_type).toBe('access');
        expect(access.sub).toBe(ok.data.user.id);
        expect(refresh.token_type).toBe('refresh');
        expect(typeof refresh.root_token_id).toBe('string');
        expect(Buffer.from(String(refresh.state_hash), 'base64')).toHaveLength(32);
        expect(access.exp! - access.nbf!).toBe(3600);
        expect(refresh.exp! - refresh.nbf!).toBe(1209600);
        expect(Date.parse(access_expires)).toBeGreaterThan(Date.now());
        expect(Date.parse(refresh_expires)).toBeGreaterThan(Date.parse(access_expires));
        c.token = access_token;
        expect((await c.get('/user/me')).data.email).toBe('alice@example.com');
      });

      it('answers 40080 alike for a wrong password and an unknown e-mail', async () => {
        const c = clientFrom();
        const wrong = await c.post('/session/token', { email: 'alice@example.com', password: 'wrongpass' });
        const unknown = await c.post('/session/token', { email: 'nobody@example.com', password: 'wrongpass' });
        expect(wrong).toMatchObject({ code: 40080, msg: 'Incorrect password or email address' });
        expect(unknown).toMatchObject({ code: 40080, msg: 'Incorrect password or email address' });
        expect(wrong.correlation_id).toBeTruthy();
      });

      it('refuses banned (40017) and inactive (40018) accounts after checking the password', async () => {
        const c = clientFrom();
        await c.post('/user', { email: 'banned@example.com', password: 'bannedpass' });
        await c.post('/user', { email: 'sleepy@example.com', password: 'sleepypass' });
        await db().updateTable('users').set({ status: 'manual_banned' }).where('email', '=', 'banned@example.com').execute();
        await db().updateTable('users').set({ status: 'inactive' }).where('email', '=', 'sleepy@example.com').execute();
        expect((await c.post('/session/token', { email: 'banned@example.com', password: 'bannedpass' })).code).toBe(40017);
        expect((await c.post('/session/token', { email: 'sleepy@example.com', password: 'sleepypass' })).code).toBe(40018);
        expect((await c.post('/session/token', { email: 'banned@example.com', password: 'nottheone' })).code).toBe(40080);
        await db().updateTable('users').set({ status: 'sys_banned' }).where('email', '=', 'banned@example.com').execute();
        expect((await c.post('/session/token', { email: 'banned@example.com', password: 'bannedpass' })).code).toBe(40017);
      });

      it('refuses password-less accounts with 40080', async () => {
        const c = clientFrom();
        await c.post('/user', { email: 'nopass@example.com', password: 'somepass' });
        await db().updateTable('users').set({ password: '' }).where('email', '=', 'nopass@example.com').execute();
        expect((await c.post('/session/token', { email: 'nopass@example.com', password: 'somepass' })).code).toBe(40080);
      });

      it('rejects every malformed body with 40001 and a clear message', async () => {
        const c = clientFrom();
        const cases: [unknown, string][] = [
          [{ password: 'alicepass' }, 'Email cannot be empty'],
          [{ email: 'alice@example.com' }, 'Password cannot be empty'],
          [{ email: 'not-an-email', password: 'alicepass' }, 'Email format error'],
          [{ email: 'alice@example.com', password: 'abc' }, 'Password too short'],
          [{ email: 'alice@example.com', password: 'x'.repeat(129) }, 'Password too long'],
          [{ email: `${'a'.repeat(250)}@example.com`, password: 'alicepass' }, 'Email too long'],
          [{ email: { x: 1 }, password: 'alicepass' }, 'JSON marshall error'],
          [{ email: 'alice@example.com', password: ['a', 'b'] }, 'JSON marshall error'],
          [{ email: 'alice@example.com', password: 'alicepass', captcha: 'x'.repeat(5000) }, 'Captcha too long'],
        ];
        for (const [body, msg] of cases) {
          const r = await c.post('/session/token', body);
          expect(r, JSON.stringify(body).slice(0, 80)).toMatchObject({ code: 40001, msg });
        }
        const res = await c.raw('POST', '/api/v4/session/token', { body: '{"email": "alice@example.com", "password": ', headers: { 'content-type': 'application/json' } });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ code: 40001, msg: 'JSON marshall error' });
        const empty = await c.raw('POST', '/api/v4/session/token', { rawBody: '', headers: { 'content-type': 'application/json' } });
        expect((await empty.json()).code).toBe(40001);
      });

      it('upgrades a legacy SHA-256 password hash to argon2id after sign-in', async () => {
        const c = clientFrom();
        await c.post('/user', { email: 'legacy@example.com', password: 'placeholder' });
        const salt = 'abcdefghij012345';
        const legacy = `${salt}:${createHash('sha256').update('oldpassword' + salt).digest('hex')}`;
        await db().updateTable('users').set({ password: legacy }).where('email', '=', 'legacy@example.com').execute();
        const r = await c.post('/session/token', { email: 'legacy@example.com', password: 'oldpassword' });
        expect(r.code).toBe(0);
        const stored = (await db().selectFrom('users').select('password').where('email', '=', 'legacy@example.com').executeTakeFirstOrThrow()).password;
        expect(stored.startsWith('$argon2id$')).toBe(true);
        // the pair issued by that sign-in already carries the new state hash
        expect((await c.post('/session/token/refresh', { refresh_token: r.data.token.refresh_token })).code).toBe(0);
        expect((await c.post('/session/token', { email: 'legacy@example.com', password: 'oldpassword' })).code).toBe(0);
        expect((await c.post('/session/token', { email: 'legacy@example.com', password: 'oldpasswort' })).code).toBe(40080);
      });

      it('upgrades SHA-1 and md5 legacy hashes too', async () => {
        const c = clientFrom();
        await c.post('/user', { email: 'sha1@example.com', password: 'placeholder' });
        await c.post('/user', { email: 'md5@example.com', password: 'placeholder' });
        const salt = 'ZYXWVUTSRQ987654';
        await db().updateTable('users').set({ password: `${salt}:${createHash('sha1').update('pw-sha1' + salt).digest('hex')}` }).where('email', '=', 'sha1@example.com').execute();
        await db().updateTable('users').set({ password: `md5:${createHash('md5').update(salt + 'pw-md5').digest('hex')}:${salt}` }).where('email', '=', 'md5@example.com').execute();
        expect((await c.post('/session/token', { email: 'sha1@example.com', password: 'pw-sha1' })).code).toBe(0);
        expect((await c.post('/session/token', { email: 'md5@example.com', password: 'pw-md5' })).code).toBe(0);
        const rows = await db().selectFrom('users').select('password').where('email', 'in', ['sha1@example.com', 'md5@example.com']).execute();
        expect(rows.every((r) => r.password.startsWith('$argon2id$'))).toBe(true);
      });
    });

    describe('two-factor sign-in', () => {
      beforeAll(async () => {
        await ts.client().post('/user', { email: 'twofa@example.com', password: 'twofapass' });
        await db().updateTable('users').set({ two_factor_secret: SECRET }).where('email', '=', 'twofa@example.com').execute();
      });

      it('answers 203 with a session id, then a TOTP code finishes the sign-in', async () => {
        const c = clientFrom();
        const first = await c.post('/session/token', { email: 'twofa@example.com', password: 'twofapass' });
        expect(first.code).toBe(203);
        expect(first.msg).toBe('');
        expect(first.data).toMatch(/^[0-9a-f-]{36}$/);
        expect(await ts.server.ctx.kv.get(`user_2fa_${first.data}`)).toBeTruthy();
        const wrong = await c.post('/session/token/2fa', { session_id: first.data, otp: '000000' === totpAt(SECRET, Date.now()) ? '111111' : '000000' });
        expect(wrong).toMatchObject({ code: 40022, msg: 'Incorrect 2FA code' });
        const garbage = await c.post('/session/token/2fa', { session_id: first.data, otp: 'abcdef' });
        expect(garbage.code).toBe(40022);
        // the session survived the wrong codes
        const done = await c.post('/session/token/2fa', { session_id: first.data, otp: totpAt(SECRET, Date.now()) });
        expect(done.code).toBe(0);
        expect(done.data.user.email).toBe('twofa@example.com');
        expect(decodeJwt(done.data.token.access_token).token_type).toBe('access');
        // a used session is gone
        const again = await c.post('/session/token/2fa', { session_id: first.data, otp: totpAt(SECRET, Date.now() + 30_000) });
        expect(again).toMatchObject({ code: 404, msg: 'Session not found' });
      });

      it('accepts one step of clock skew but not two, and refuses a replayed code', async () => {
        const c = clientFrom();
        const s1 = (await c.post('/session/token', { email: 'twofa@example.com', password: 'twofapass' })).data;
        expect((await c.post('/session/token/2fa', { session_id: s1, otp: totpAt(SECRET, Date.now() + 65_000) })).code).toBe(40022);
        const code = totpAt(SECRET, Date.now() - 30_000);
        expect((await c.post('/session/token/2fa', { session_id: s1, otp: code })).code).toBe(0);
        const s2 = (await c.post('/session/token', { email: 'twofa@example.com', password: 'twofapass' })).data;
        expect((await c.post('/session/token/2fa', { session_id: s2, otp: code })).code).toBe(40022);
      });

      it('answers 404 for unknown or expired sessions and 40001 for missing fields', async () => {
        const c = clientFrom();
        expect((await c.post('/session/token/2fa', { session_id: 'b0f7a7e0-0000-4000-8000-000000000000', otp: '123456' })).code).toBe(404);
        expect(await c.post('/session/token/2fa', { otp: '123456' })).toMatchObject({ code: 40001, msg: 'SessionId cannot be empty' });
        expect(await c.post('/session/token/2fa', { session_id: 'x' })).toMatchObject({ code: 40001, msg: 'Otp cannot be empty' });
        expect(await c.post('/session/token/2fa', { session_id: 'x', otp: '1'.repeat(17) })).toMatchObject({ code: 40001, msg: 'Otp too long' });
      });

      it('re-checks that the user is still active before finishing', async () => {
        const c = clientFrom();
        const s = (await c.post('/session/token', { email: 'twofa@example.com', password: 'twofapass' })).data;
        await db().updateTable('users').set({ status: 'manual_banned' }).where('email', '=', 'twofa@example.com').execute();
        try {
          expect((await c.post('/session/token/2fa', { session_id: s, otp: totpAt(SECRET, Date.now() + 30_000) })).code).toBe(40017);
        } finally {
          await db().updateTable('users').set({ status: 'active' }).where('email', '=', 'twofa@example.com').execute();
        }
      });
    });

    describe('refresh and sign-out', () => {
      let login: any;
      beforeAll(async () => {
        await ts.client().post('/user', { email: 'bob@example.com', password: 'bobpass1' });
      });
      const signIn = async () => (login = (await clientFrom().post('/session/token', { email: 'bob@example.com', password: 'bobpass1' })).data);

      it('issues a new pair with the same root_token_id and keeps the old refresh token valid', async () => {
        await signIn();
        const c = clientFrom();
        clock.offset = 2000; // a different second, so the new tokens differ from the old ones
        const r = await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token });
        expect(r.code).toBe(0);
        expect(Object.keys(r.data).sort()).toEqual(['access_expires', 'access_token', 'refresh_expires', 'refresh_token']);
        expect(r.data.refresh_token).not.toBe(login.token.refresh_token);
        expect(decodeJwt(r.data.refresh_token).root_token_id).toBe(decodeJwt(login.token.refresh_token).root_token_id);
        expect((await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })).code).toBe(0);
        const fresh = new Client(ts.url);
        fresh.token = r.data.access_token;
        expect((await fresh.get('/user/me')).data.email).toBe('bob@example.com');
      });

      it('lets concurrent refreshes of one token all succeed', async () => {
        await signIn();
        const c = clientFrom();
        const all = await Promise.all(Array.from({ length: 8 }, () => c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })));
        expect(all.map((r) => r.code)).toEqual(Array(8).fill(0));
      });

      it('refuses access tokens, tampered, expired and other-site tokens with 40020', async () => {
        await signIn();
        const c = clientFrom();
        const fail = { code: 40020, msg: 'Failed to issue token pair' };
        expect(await c.post('/session/token/refresh', { refresh_token: login.token.access_token })).toMatchObject(fail);
        expect(await c.post('/session/token/refresh', { refresh_token: 'not.a.jwt' })).toMatchObject(fail);
        const [h, p, s] = login.token.refresh_token.split('.');
        const flipped = s[0] === 'A' ? `B${s.slice(1)}` : `A${s.slice(1)}`;
        expect(await c.post('/session/token/refresh', { refresh_token: `${h}.${p}.${flipped}` })).toMatchObject(fail);
        const claims = decodeJwt(login.token.refresh_token);
        const otherSite = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode('another site key'));
        expect(await c.post('/session/token/refresh', { refresh_token: otherSite })).toMatchObject(fail);
        clock.offset = 1209600 * 1000 + 5000;
        expect(await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })).toMatchObject(fail);
        clock.offset = 0;
        expect(await c.post('/session/token/refresh', {})).toMatchObject({ code: 40001, msg: 'RefreshToken cannot be empty' });
        expect(await c.post('/session/token/refresh', { refresh_token: '' })).toMatchObject({ code: 40001, msg: 'RefreshToken too short' });
      });

      it('refuses refresh after a password change, an e-mail change or for a banned user', async () => {
        await signIn();
        const c = clientFrom();
        const id = await userId('bob@example.com');
        const before = (await db().selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
        await db().updateTable('users').set({ password: `${before.password}x` }).where('id', '=', id).execute();
        expect((await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })).code).toBe(40020);
        await db().updateTable('users').set({ password: before.password, email: 'bob2@example.com' }).where('id', '=', id).execute();
        expect((await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })).code).toBe(40020);
        await db().updateTable('users').set({ email: 'bob@example.com', status: 'manual_banned' }).where('id', '=', id).execute();
        expect((await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })).code).toBe(40020);
        await db().updateTable('users').set({ status: 'active' }).where('id', '=', id).execute();
        expect((await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })).code).toBe(0);
      });

      it('signs out the whole lineage but leaves the access token working', async () => {
        await signIn();
        const c = clientFrom();
        const refreshed = (await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })).data;
        const other = (await clientFrom().post('/session/token', { email: 'bob@example.com', password: 'bobpass1' })).data;
        const out = await c.delete('/session/token', { refresh_token: refreshed.refresh_token });
        expect(out).toEqual({ code: 0, data: '', msg: '' });
        const root = decodeJwt(login.token.refresh_token).root_token_id;
        expect(await ts.server.ctx.kv.get(`jwt_revoke_${root}`)).toBeTruthy();
        expect((await c.post('/session/token/refresh', { refresh_token: login.token.refresh_token })).code).toBe(40020);
        expect((await c.post('/session/token/refresh', { refresh_token: refreshed.refresh_token })).code).toBe(40020);
        // another sign-in is another lineage
        expect((await c.post('/session/token/refresh', { refresh_token: other.token.refresh_token })).code).toBe(0);
        const a = new Client(ts.url);
        a.token = login.token.access_token;
        expect((await a.get('/user/me')).code).toBe(0);
      });

      it('refuses sign-out with unparsable, expired or access tokens (40020) and missing fields (40001)', async () => {
        await signIn();
        const c = clientFrom();
        expect((await c.delete('/session/token', { refresh_token: 'garbage' })).code).toBe(40020);
        expect((await c.delete('/session/token', { refresh_token: login.token.access_token })).code).toBe(40020);
        clock.offset = 1209600 * 1000 + 5000;
        expect((await c.delete('/session/token', { refresh_token: login.token.refresh_token })).code).toBe(40020);
        clock.offset = 0;
        expect((await c.delete('/session/token', {})).code).toBe(40001);
      });

      it('treats expired, tampered and other-site access tokens as anonymous and a refresh token as 40020', async () => {
        await signIn();
        const c = new Client(ts.url);
        c.token = login.token.refresh_token;
        expect(await c.get('/user/me')).toMatchObject({ code: 40020, msg: 'Invalid token type' });
        c.token = `${login.token.access_token.slice(0, -2)}xx`;
        expect(await c.get('/user/me')).toMatchObject({ code: 401, msg: 'Login required' });
        c.token = await new SignJWT({ token_type: 'access', sub: login.user.id }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setExpirationTime('1h').setNotBefore('0s').sign(new TextEncoder().encode('another site key'));
        expect((await c.get('/user/me')).code).toBe(401);
        c.token = login.token.access_token;
        clock.offset = 3601 * 1000;
        expect((await c.get('/user/me')).code).toBe(401);
      });
    });

    describe('GET /session/prepare', () => {
      it('reports the sign-in methods and 404 for unknown e-mails', async () => {
        const c = clientFrom();
        await c.post('/user', { email: 'prep@example.com', password: 'preppass' });
        expect(await c.get('/session/prepare?email=PREP@example.com')).toEqual({ code: 0, data: { webauthn_enabled: false, password_enabled: true }, msg: '' });
        const id = await userId('prep@example.com');
        const now = Date.now();
        await db().insertInto('passkeys').values({ user_id: id, credential_id: 'cred-1', name: 'key', credential: '{}', used_at: null, created_at: now, updated_at: now }).execute();
        await db().updateTable('users').set({ password: '', status: 'manual_banned' }).where('id', '=', id).execute();
        expect((await c.get('/session/prepare?email=prep@example.com')).data).toEqual({ webauthn_enabled: true, password_enabled: false });
        expect(await c.get('/session/prepare?email=ghost@example.com')).toMatchObject({ code: 404, msg: 'User not found' });
        expect(await c.get('/session/prepare')).toMatchObject({ code: 40001, msg: 'Email cannot be empty' });
        expect(await c.get('/session/prepare?email=nope')).toMatchObject({ code: 40001, msg: 'Email format error' });
      });
    });

    describe('rate limiting', () => {
      it('locks an account after login_rate_limit failures, from any address, and a success clears it', async () => {
        await settings({ login_rate_limit: '3', login_ip_rate_limit: '0' });
        await ts.client().post('/user', { email: 'target@example.com', password: 'targetpass' });
        for (let i = 0; i < 3; i++) expect((await clientFrom().post('/session/token', { email: 'target@example.com', password: `guess${i}xx` })).code).toBe(40080);
        const locked = await clientFrom().post('/session/token', { email: 'target@example.com', password: 'targetpass' });
        expect(locked.code).toBe(40027);
        expect(locked.msg).toMatch(/Too many failed sign-in attempts/);
        // other accounts are unaffected
        expect((await clientFrom().post('/session/token', { email: 'alice@example.com', password: 'alicepass' })).code).toBe(0);
        clock.offset = 0;
        await ts.server.ctx.kv.delete('login_fail_account_target@example.com'); // the window passing
        expect((await clientFrom().post('/session/token', { email: 'target@example.com', password: 'wrongpass' })).code).toBe(40080);
        expect((await clientFrom().post('/session/token', { email: 'target@example.com', password: 'targetpass' })).code).toBe(0);
        // the success cleared the account counter: three more failures are needed to lock again
        for (let i = 0; i < 2; i++) expect((await clientFrom().post('/session/token', { email: 'target@example.com', password: 'wrongpass' })).code).toBe(40080);
        expect((await clientFrom().post('/session/token', { email: 'target@example.com', password: 'targetpass' })).code).toBe(0);
      });

      it('locks an address after login_ip_rate_limit failures; a success does not reset it', async () => {
        await settings({ login_rate_limit: '0', login_ip_rate_limit: '4' });
        const ip = '192.0.2.77';
        const c = clientFrom(ip);
        for (let i = 0; i < 3; i++) expect((await c.post('/session/token', { email: `spray${i}@example.com`, password: 'wrongpass' })).code).toBe(40080);
        expect((await c.post('/session/token', { email: 'alice@example.com', password: 'alicepass' })).code).toBe(0);
        expect((await c.post('/session/token', { email: 'spray9@example.com', password: 'wrongpass' })).code).toBe(40080);
        expect((await c.post('/session/token', { email: 'alice@example.com', password: 'alicepass' })).code).toBe(40027);
        // another address is not affected
        expect((await clientFrom().post('/session/token', { email: 'alice@example.com', password: 'alicepass' })).code).toBe(0);
      });

      it('forgets failures when the window has passed', async () => {
        await settings({ login_rate_limit: '1', login_ip_rate_limit: '0', login_rate_window: '1' });
        await ts.client().post('/user', { email: 'window@example.com', password: 'windowpass' });
        expect((await clientFrom().post('/session/token', { email: 'window@example.com', password: 'wrongpass' })).code).toBe(40080);
        expect((await clientFrom().post('/session/token', { email: 'window@example.com', password: 'windowpass' })).code).toBe(40027);
        await new Promise((r) => setTimeout(r, 1300));
        expect((await clientFrom().post('/session/token', { email: 'window@example.com', password: 'windowpass' })).code).toBe(0);
      });

      it('counts wrong 2FA codes against the account', async () => {
        await settings({ login_rate_limit: '3', login_ip_rate_limit: '0' });
        await ts.client().post('/user', { email: 'twofa2@example.com', password: 'twofapass' });
        await db().updateTable('users').set({ two_factor_secret: SECRET }).where('email', '=', 'twofa2@example.com').execute();
        const c = clientFrom();
        const s = (await c.post('/session/token', { email: 'twofa2@example.com', password: 'twofapass' })).data;
        const bad = totpAt(SECRET, Date.now() + 10 * 60_000);
        for (let i = 0; i < 3; i++) expect((await c.post('/session/token/2fa', { session_id: s, otp: bad })).code).toBe(40022);
        expect((await c.post('/session/token/2fa', { session_id: s, otp: totpAt(SECRET, Date.now()) })).code).toBe(40027);
        // re-entering the password does not reset the budget
        expect((await c.post('/session/token', { email: 'twofa2@example.com', password: 'twofapass' })).code).toBe(40027);
      });
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STACK_HINTS = [/\bat\s+\S+\s+\(/, /\.(ts|js|mjs):\d+/, /node_modules/, /\/work\//, /"stack"/, /Error:/];

interface Answer { status: number; headers: Headers; text: string; body?: Record<string, any> }

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`bad input over HTTP on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let userId: string;

    /** Sends a raw request; checks what every /api/v4 error must look like and returns the envelope. */
    async function send(method: string, path: string, init: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
      const res = await fetch(ts.url + path, { method, headers: init.headers, body: init.body as BodyInit | undefined, redirect: 'manual' });
      const text = await res.text();
      for (const hint of STACK_HINTS) expect(text, `${method} ${path} leaks internals`).not.toMatch(hint);
      let body: Record<string, any> | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, headers: res.headers, text, body };
    }

    /** Asserts the contract's error envelope: HTTP 200, the code, a correlation id, no debug text. */
    function expectError(a: Answer, code: number, msg?: string | RegExp): void {
      expect(a.status, a.text).toBe(200);
      expect(a.headers.get('content-type')).toMatch(/^application\/json/);
      expect(a.headers.get('cache-control')).toBe('private, no-cache');
      expect(a.body?.code, a.text).toBe(code);
      if (typeof msg === 'string') expect(a.body?.msg).toBe(msg);
      else if (msg) expect(a.body?.msg).toMatch(msg);
      expect(a.body?.correlation_id).toMatch(UUID_V4);
      expect(a.body).not.toHaveProperty('error');
      expect(a.headers.get('x-cr-correlation-id')).toBeNull();
    }

    const json = (body: unknown) => ({ body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const signIn = (body: unknown) => send('POST', '/api/v4/session/token', json(body));
    const secret = () => new TextEncoder().encode(ts.server.ctx.settings.get('secret_key'));
    const jwt = (claims: Record<string, unknown>, key: Uint8Array, exp: number | string = '1h', nbf: number | string = '0s') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime(exp).setNotBefore(nbf).sign(key);
    const asBearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

    beforeAll(async () => {
      ts = await startServer(backend);
      const c = ts.client();
      await c.signUpAndIn('first@example.com');
      userId = (await c.get('/user/me')).data.id;
    });
    afterAll(async () => ts?.close());

    describe('bodies', () => {
      it('malformed JSON', async () => {
        expectError(await signIn('{"email": "a@b.cd", "password": '), 40001, 'JSON marshall error');
        expectError(await signIn('{"email": "a@b.cd"}}'), 40001, 'JSON marshall error');
        expectError(await signIn('\u0000\u0001'), 40001);
      });

      it('empty bodies', async () => {
        expectError(await send('POST', '/api/v4/session/token', { headers: { 'content-type': 'application/json' }, body: '' }), 40001);
        expectError(await send('POST', '/api/v4/session/token'), 40001);
      });

      it('wrong content types', async () => {
        const body = JSON.stringify({ email: 'a@b.cd', password: 'password123' });
        expectError(await send('POST', '/api/v4/session/token', { body: 'email=a%40b.cd&password=password123', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 40001);
        expectError(await send('POST', '/api/v4/session/token', { body, headers: { 'content-type': 'text/plain' } }), 40001);
        expectError(await send('POST', '/api/v4/session/token', { body, headers: { 'content-type': 'application/xml' } }), 40001);
        expectError(await send('POST', '/api/v4/session/token', { body: '--x\r\n\r\n--x--', headers: { 'content-type': 'multipart/form-data; boundary=x' } }), 40001);
      });

      it('missing fields name the field', async () => {
        expectError(await signIn({}), 40001, 'Email cannot be empty');
        expectError(await signIn({ email: 'a@b.cd' }), 40001, 'Password cannot be empty');
        expectError(await signIn({ password: 'password123' }), 40001, 'Email cannot be empty');
      });

      it('mistyped fields are refused, not coerced', async () => {
        expectError(await signIn({ email: 'a@b.cd', password: 12345678 }), 40001, 'JSON marshall error');
        expectError(await signIn({ email: ['a@b.cd'], password: 'password123' }), 40001, 'JSON marshall error');
        expectError(await signIn({ email: 'a@b.cd', password: true }), 40001, 'JSON marshall error');
        expectError(await signIn({ email: null, password: 'password123' }), 40001);
        expectError(await signIn([]), 40001);
        expectError(await signIn('null'), 40001);
        expectError(await signIn('"a string"'), 40001);
      });

      it('rule violations', async () => {
        expectError(await signIn({ email: 'not-an-email', password: 'password123' }), 40001, 'Email format error');
        expectError(await signIn({ email: 'a@b.cd', password: 'abc' }), 40001, 'Password too short');
        expectError(await signIn({ email: 'a@b.cd', password: 'p'.repeat(129) }), 40001, 'Password too long');
        expectError(await signIn({ email: `${'e'.repeat(300)}@example.com`, password: 'password123' }), 40001, /^Email /);
        expectError(await send('POST', '/api/v4/user', json({ email: 'new@example.com', password: '12345' })), 40001, 'Password too short');
      });

      it('unknown fields are ignored', async () => {
        const a = await signIn({ email: 'first@example.com', password: 'password123', extra: { deep: [1, 2] }, __proto__x: 1 });
        expect(a.body?.code).toBe(0);
      });

      it('a 2.5 MB body is parsed and refused by the field rule; a 5 MB body by the size limit', async () => {
        expectError(await signIn({ email: 'a@b.cd', password: 'p'.repeat(2.5 * 1024 * 1024) }), 40001, 'Password too long');
        expectError(await signIn({ email: 'a@b.cd', password: 'p'.repeat(5 * 1024 * 1024) }), 40001, 'Request body too large');
        const deep = '['.repeat(100_000) + ']'.repeat(100_000);
        expectError(await signIn(deep), 40001);
      });
    });

    describe('URLs', () => {
      it('unknown routes and wrong methods answer 404 with a plain-text body', async () => {
        for (const [method, path] of [['GET', '/api/v4/no/such/route'], ['POST', '/api/v4/site/ping'], ['DELETE', '/api/v4/user/me'], ['GET', '/api/v4'], ['GET', '/api/v5/site/ping']]) {
          const a = await send(method!, path!);
          expect(a.status, `${method} ${path}`).toBe(404);
          expect(a.headers.get('content-type')).toMatch(/^text\/plain/);
          expect(a.text).toBe('404 page not found');
        }
      });

      it('malformed percent-encoding is a 40001 envelope under /api/v4', async () => {
        expectError(await send('GET', '/api/v4/site/config/%E0%A4%A'), 40001);
        expectError(await send('GET', '/api/v4/user/info/%'), 40001);
      });

      it('a trailing slash reaches the same route', async () => {
        const a = await send('GET', '/api/v4/site/ping/');
        expect(a.body).toEqual({ code: 0, data: '4.0.0', msg: '' });
      });
    });

    describe('tokens', () => {
      it('tampered, expired, not-yet-valid, unsigned and other-site tokens count as anonymous', async () => {
        const good = await jwt({ token_type: 'access', sub: userId }, secret());
        expect((await send('GET', '/api/v4/user/me', asBearer(good))).body?.code).toBe(0);

        const [h, p, s] = good.split('.');
        const flipped = s![0] === 'A' ? 'B' + s!.slice(1) : 'A' + s!.slice(1);
        const forgedPayload = Buffer.from(JSON.stringify({ token_type: 'access', sub: userId, exp: 4102444800, nbf: 0 })).toString('base64url');
        const bad = {
          tampered: `${h}.${p}.${flipped}`,
          'payload swapped': `${h}.${forgedPayload}.${s}`,
          expired: await jwt({ token_type: 'access', sub: userId }, secret(), Math.floor(Date.now() / 1000) - 5, Math.floor(Date.now() / 1000) - 100),
          'not yet valid': await jwt({ token_type: 'access', sub: userId }, secret(), '2h', '1h'),
          'other site': await jwt({ token_type: 'access', sub: userId }, new TextEncoder().encode('x'.repeat(256))),
          'alg none': `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`,
          garbage: 'not.a.jwt',
          empty: '',
        };
        for (const [name, token] of Object.entries(bad)) {
          const me = await send('GET', '/api/v4/user/me', asBearer(token));
          expectError(me, 401, 'Login required');
          const basic = await send('GET', '/api/v4/site/config/basic', asBearer(token));
          expect(basic.body?.data?.user?.anonymous, name).toBe(true);
        }
        for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'bearer ' + good, good]) {
          expectError(await send('GET', '/api/v4/user/me', { headers: { authorization: header } }), 401);
        }
      });

      it('a refresh token used as access token is 40020; an undecodable subject is 404', async () => {
        const refresh = await jwt({ token_type: 'refresh', sub: userId, state_hash: 'x', root_token_id: 'y' }, secret());
        expectError(await send('GET', '/api/v4/user/me', asBearer(refresh)), 40020, 'Invalid token type');
        expectError(await send('GET', '/api/v4/site/config/basic', asBearer(refresh)), 40020);
        const noUser = await jwt({ token_type: 'access', sub: 'not-a-hashid' }, secret());
        expectError(await send('GET', '/api/v4/user/me', asBearer(noUser)), 404, 'User not found');
      });

      it('[deviation] a valid token of a user who is no longer active is anonymous: 401, not CE 50001', async () => {
        const c = ts.client();
        const login = await c.signUpAndIn('soon-banned@example.com');
        const token = login.token.access_token;
        const id = ts.server.ctx.hashids.decode(login.user.id, 1)!;
        await ts.server.ctx.db.kysely.updateTable('users').set({ status: 'manual_banned' }).where('id', '=', id).execute();
        expectError(await send('GET', '/api/v4/user/me', asBearer(token)), 401, 'Login required');
        expect((await send('GET', '/api/v4/site/config/basic', asBearer(token))).body?.data?.user?.anonymous).toBe(true);
        await ts.server.ctx.db.kysely.deleteFrom('users').where('id', '=', id).execute();
        expectError(await send('GET', '/api/v4/user/me', asBearer(token)), 401);
      });
    });

    describe('headers', () => {
      it('reuses a valid X-Cr-Correlation-Id and replaces an invalid one', async () => {
        const mine = '3f2b8c1e-9d4a-4b7e-a1c2-0e5f6a7b8c9d';
        const reused = await send('GET', '/api/v4/user/me', { headers: { 'x-cr-correlation-id': mine } });
        expectError(reused, 401);
        expect(reused.body?.correlation_id).toBe(mine);

        const upper = await send('GET', '/api/v4/user/me', { headers: { 'x-cr-correlation-id': mine.toUpperCase() } });
        expect(upper.body?.correlation_id).toBe(mine.toUpperCase());

        for (const invalid of ['not-a-uuid', `${mine}0`, ` ${mine}`, mine.replace(/-/g, ''), '<script>', 'x'.repeat(4000)]) {
          const a = await send('GET', '/api/v4/user/me', { headers: { 'x-cr-correlation-id': invalid } });
          expectError(a, 401);
          expect(a.body?.correlation_id).not.toBe(invalid);
        }
        const ids = new Set<string>();
        for (let i = 0; i < 5; i++) ids.add((await send('GET', '/api/v4/user/me')).body!.correlation_id);
        expect(ids.size).toBe(5);
      });

      it('successes carry no correlation id; every /api/v4 answer is private, no-cache', async () => {
        const ok = await send('GET', '/api/v4/site/ping', { headers: { 'x-cr-correlation-id': '3f2b8c1e-9d4a-4b7e-a1c2-0e5f6a7b8c9d' } });
        expect(ok.body).toEqual({ code: 0, data: '4.0.0', msg: '' });
        expect(ok.headers.get('cache-control')).toBe('private, no-cache');
        expect(ok.headers.get('x-cr-correlation-id')).toBeNull();
        expect((await send('GET', '/api/v4/no/such/route')).headers.get('cache-control')).toBe('private, no-cache');
      });

      it('an oversized header does not crash the server', async () => {
        const res = await fetch(`${ts.url}/api/v4/site/ping`, { headers: { authorization: `Bearer ${'a'.repeat(20_000)}` } });
        expect([200, 431]).toContain(res.status);
        expect((await send('GET', '/api/v4/site/ping')).body?.code).toBe(0);
      });
    });
  });
}

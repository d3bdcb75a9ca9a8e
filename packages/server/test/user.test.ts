import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret, TOTP } from 'otpauth';
import { decodeJwt } from 'jose';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import type { Client } from './helpers/client.ts';
import { stateHash } from '../src/services/tokens.ts';
import { HashType } from '../src/util/hashid.ts';

const totpAt = (secret: string, ms: number) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });

/** A six-digit code that is not valid for `secret` within ±2 steps of now. */
function wrongCode(secret: string): string {
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpAt(secret, Date.now() + d * 30_000)));
  for (let n = 123456; ; n = (n + 7919) % 1_000_000) {
    const c = String(n).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`user endpoints on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let alice: Client;
    let aliceId: string;
    const kysely = () => ts.server.ctx.db.kysely;
    const numericId = (hashid: string) => ts.server.ctx.hashids.decode(hashid, HashType.User)!;

    beforeAll(async () => {
      ts = await startServer(backend);
      admin = ts.client();
      await admin.signUpAndIn('root@example.com');
      alice = ts.client();
      aliceId = (await alice.signUpAndIn('alice@example.com')).user.id;
    });
    afterAll(async () => ts?.close());

    it('answers 401 to anonymous callers of signed-in routes', async () => {
      const anon = ts.client();
      const calls: [string, string, unknown?][] = [
        ['GET', '/user/me'], ['GET', '/user/capacity'], ['GET', '/user/setting'], ['PATCH', '/user/setting', { nick: 'x' }],
        ['GET', '/user/setting/2fa'], ['GET', '/user/setting/policies'], ['GET', '/user/search?keyword=alice'],
      ];
      for (const [method, path, body] of calls) {
        const r = await anon.call(method, path, body);
        expect(r, `${method} ${path}`).toMatchObject({ code: 401, msg: 'Login required' });
      }
      const bad = ts.client();
      bad.token = 'not-a-jwt';
      expect((await bad.get('/user/me')).code).toBe(401);
    });

    it('returns the current user and capacity', async () => {
      const me = await alice.get('/user/me');
      expect(me.data).toMatchObject({ id: aliceId, email: 'alice@example.com', nickname: 'alice', status: 'active', group: { name: 'User' } });
      const cap = await alice.get('/user/capacity');
      expect(cap.data).toEqual({ total: 1024 ** 3, used: 0 });
    });

    describe('GET /user/info/:id', () => {
      it('returns a redacted profile, with e-mail only for signed-in callers', async () => {
        const anon = await ts.client().get(`/user/info/${aliceId}`);
        expect(anon.code).toBe(0);
        expect(anon.data.id).toBe(aliceId);
        expect(anon.data.nickname).toBe('alice');
        expect(anon.data.group).toEqual({ id: expect.any(String), name: 'User' });
        expect(anon.data.email).toBeUndefined();
        expect(anon.data.status).toBeUndefined();
        const signed = await admin.get(`/user/info/${aliceId}`);
        expect(signed.data.email).toBe('alice@example.com');
      });

      it('refuses bad hashids with 40001 and unknown users with 40021', async () => {
        const h = ts.server.ctx.hashids;
        for (const bad of ['zzzzzzz', h.encode(2, HashType.Share), '%E2%82%AC', 'a'.repeat(64)]) {
          const r = await alice.get(`/user/info/${bad}`);
          expect(r, bad).toMatchObject({ code: 40001, msg: 'Failed to parse object ID' });
        }
        expect((await alice.get(`/user/info/${'a'.repeat(65)}`)).code).toBe(40001);
        const unknown = await alice.get(`/user/info/${h.encode(999999, HashType.User)}`);
        expect(unknown).toMatchObject({ code: 40021, msg: 'User not found' });
      });
    });

    describe('GET /user/search', () => {
      beforeAll(async () => {
        const c = ts.client();
        for (let i = 0; i < 12; i++) await c.post('/user', { email: `crowd${i}@search.test`, password: 'password123' });
        await c.post('/user', { email: 'percent@search.test', password: 'password123' });
        await c.post('/user', { email: 'sleeper@search.test', password: 'password123' });
        await kysely().updateTable('users').set({ nick: 'Ünïcode MIXED Case' }).where('email', '=', 'percent@search.test').execute();
        await kysely().updateTable('users').set({ status: 'manual_banned' }).where('email', '=', 'sleeper@search.test').execute();
      });

      it('matches e-mail or nickname case-insensitively, at most 10, active only', async () => {
        const crowd = await alice.get('/user/search?keyword=CROWD');
        expect(crowd.code).toBe(0);
        expect(crowd.data).toHaveLength(10);
        expect(crowd.data[0]).toMatchObject({ nickname: 'crowd0', email: 'crowd0@search.test' });
        expect(crowd.data[0].status).toBeUndefined();
        const byNick = await alice.get(`/user/search?keyword=${encodeURIComponent('mixed case')}`);
        expect(byNick.data.map((u: any) => u.email)).toEqual(['percent@search.test']);
        expect((await alice.get('/user/search?keyword=sleeper')).data).toEqual([]);
      });

      it('treats LIKE wildcards literally', async () => {
        expect((await alice.get('/user/search?keyword=%25%25')).data).toEqual([]);
        expect((await alice.get('/user/search?keyword=__')).data).toEqual([]);
        expect((await alice.get('/user/search?keyword=!%25')).data).toEqual([]);
      });

      it('requires a keyword of at least two characters', async () => {
        expect(await alice.get('/user/search?keyword=a')).toMatchObject({ code: 40001, msg: 'Keyword too short' });
        expect(await alice.get('/user/search?keyword=%20a%20')).toMatchObject({ code: 40001, msg: 'Keyword too short' });
        expect(await alice.get('/user/search')).toMatchObject({ code: 40001, msg: 'Keyword cannot be empty' });
        expect((await alice.get(`/user/search?keyword=${'x'.repeat(256)}`)).code).toBe(40001);
      });
    });

    describe('GET/PATCH /user/setting', () => {
      let bob: Client;
      beforeAll(async () => {
        bob = ts.client();
        await bob.signUpAndIn('bob@example.com');
      });

      it('starts with version retention on (max 10) and everything else off', async () => {
        const r = await bob.get('/user/setting');
        expect(r).toEqual({
          code: 0, msg: '',
          data: { version_retention_enabled: true, version_retention_max: 10, passwordless: false, two_fa_enabled: false, disable_view_sync: false, share_links_in_profile: '' },
        });
      });

      it('applies every preference field', async () => {
        const r = await bob.patch('/user/setting', {
          nick: '  Bobby Tables  ', language: 'zh-CN', preferred_theme: '#1976d2', version_retention_enabled: false,
          version_retention_ext: ['.DOCX', 'txt', 'txt', ' '], version_retention_max: 0, disable_view_sync: true,
          share_links_in_profile: 'all_share', group_expires: '2030-01-01T00:00:00Z', unknown_field: 1,
        });
        expect(r).toEqual({ code: 0, msg: '' });
        const s = await bob.get('/user/setting');
        expect(s.data).toEqual({
          version_retention_enabled: false, version_retention_ext: ['docx', 'txt'], passwordless: false, two_fa_enabled: false,
          disable_view_sync: true, share_links_in_profile: 'all_share',
        });
        const me = await bob.get('/user/me');
        expect(me.data).toMatchObject({ nickname: 'Bobby Tables', language: 'zh-CN', preferred_theme: '#1976d2', disable_view_sync: true, share_links_in_profile: 'all_share' });
        await bob.patch('/user/setting', { preferred_theme: '', share_links_in_profile: '', version_retention_max: 5 });
        const after = await bob.get('/user/me');
        expect(after.data.preferred_theme).toBeUndefined();
        expect(after.data.share_links_in_profile).toBe('');
        expect((await bob.get('/user/setting')).data.version_retention_max).toBe(5);
      });

      it('accepts hex, rgb(), rgba() and hsl() theme colours and refuses anything else', async () => {
        for (const ok of ['#fff', '#FFFA', '#1976d2', '#1976d2cc', 'rgb(0,0,0)', 'rgb( 255 , 128 , 1 )', 'rgb(10%, 20%, 100%)', 'rgba(1,2,3,0.5)', 'rgba(1,2,3,.25)', 'rgba(1,2,3,1)', 'hsl(360, 100%, 0%)', 'HSL(120,50%,50%)']) {
          expect(await bob.patch('/user/setting', { preferred_theme: ok }), ok).toEqual({ code: 0, msg: '' });
          expect((await bob.get('/user/me')).data.preferred_theme).toBe(ok);
        }
        for (const bad of ['red', '#12', '#ggg', '1976d2', 'rgb(256,0,0)', 'rgb(1,2)', 'rgb(10%,20,30)', 'rgba(1,2,3,2)', 'hsl(361,10%,10%)', 'hsl(10,101%,10%)', 'url(javascript:alert(1))', '#fff; color: red']) {
          const r = await bob.patch('/user/setting', { preferred_theme: bad });
          expect(r, bad).toMatchObject({ code: 40001 });
          expect(r.msg).toMatch(/PreferredTheme/);
        }
      });

      it('refuses bad input with 40001 and changes nothing (all or nothing)', async () => {
        const before = await kysely().selectFrom('users').select(['nick', 'settings', 'password']).where('email', '=', 'bob@example.com').executeTakeFirstOrThrow();
        const cases: [unknown, RegExp][] = [
          [{ nick: 'ok', preferred_theme: 'not-a-colour' }, /PreferredTheme/],
          [{ language: 'en-US', nick: 'x'.repeat(256) }, /Nickname too long/],
          [{ nick: '' }, /Nickname too short/],
          [{ nick: '   ' }, /Nickname cannot be empty/],
          [{ nick: 'a\u0000b' }, /Nickname contains control characters/],
          [{ language: '' }, /Language too short/],
          [{ language: 'y'.repeat(256) }, /Language too long/],
          [{ nick: 'fine', version_retention_max: -1 }, /VersionRetentionMax too short/],
          [{ version_retention_max: 1.5 }, /./],
          [{ version_retention_max: 'many' }, /./],
          [{ version_retention_ext: 'docx' }, /./],
          [{ version_retention_ext: [1, 2] }, /./],
          [{ version_retention_enabled: 'maybe' }, /./],
          [{ disable_view_sync: 'sure' }, /./],
          [{ nick: { first: 'a' } }, /./],
          [{ nick: 'ok', share_links_in_profile: 'everyone' }, /ShareLinksInProfile/],
          [{ nick: 'ok', current_password: 'password123' }, /Both current_password and new_password/],
          [{ nick: 'ok', new_password: 'password456' }, /Both current_password and new_password/],
          [{ current_password: 'password123', new_password: '123' }, /NewPassword too short/],
          [{ current_password: 'password123', new_password: 'p'.repeat(129) }, /NewPassword too long/],
          [{ nick: 'ok', two_fa_enabled: true }, /TwoFaCode cannot be empty/],
          [[], /./],
          ['"nick"', /./],
        ];
        for (const [body, msg] of cases) {
          const r = await bob.patch('/user/setting', body);
          expect(r.code, JSON.stringify(body)).toBe(40001);
          expect(r.msg, JSON.stringify(body)).toMatch(msg);
        }
        const broken = await bob.raw('PATCH', '/api/v4/user/setting', { body: '{"nick": ', headers: { 'content-type': 'application/json' } });
        expect((await broken.json()).code).toBe(40001);
        const after = await kysely().selectFrom('users').select(['nick', 'settings', 'password']).where('email', '=', 'bob@example.com').executeTakeFirstOrThrow();
        expect(after).toEqual(before);
      });

      it('changes the password only with the right current password, and old refresh tokens die', async () => {
        const carol = ts.client();
        const login = await carol.signUpAndIn('carol@example.com', 'password123');
        const oldRefresh = carol.refreshToken!;
        const wrong = await carol.patch('/user/setting', { nick: 'Caroline', current_password: 'wrong-password', new_password: 'password456' });
        expect(wrong).toMatchObject({ code: 40069, msg: 'Incorrect password' });
        expect((await carol.get('/user/me')).data.nickname).toBe('carol');

        expect(await carol.patch('/user/setting', { nick: 'Caroline', current_password: 'password123', new_password: 'password456' })).toEqual({ code: 0, msg: '' });
        expect((await carol.get('/user/me')).data.nickname).toBe('Caroline');
        expect((await ts.client().post('/session/token', { email: 'carol@example.com', password: 'password123' })).code).toBe(40080);
        await ts.client().signIn('carol@example.com', 'password456');

        const row = await kysely().selectFrom('users').selectAll().where('id', '=', numericId(login.user.id)).executeTakeFirstOrThrow();
        expect(decodeJwt(oldRefresh).state_hash).not.toBe(stateHash(ts.server.ctx, row));
        expect((await ts.client().post('/session/token/refresh', { refresh_token: oldRefresh })).code).toBe(40020);
      });

      it('refuses a password change for a password-less account with 40069', async () => {
        const dave = ts.client();
        const login = await dave.signUpAndIn('dave@example.com');
        await kysely().updateTable('users').set({ password: '' }).where('id', '=', numericId(login.user.id)).execute();
        expect((await dave.get('/user/setting')).data.passwordless).toBe(true);
        expect((await dave.patch('/user/setting', { current_password: 'password123', new_password: 'password456' })).code).toBe(40069);
      });
    });

    describe('two-factor authentication', () => {
      let erin: Client;
      beforeAll(async () => {
        erin = ts.client();
        await erin.signUpAndIn('erin@example.com');
      });

      it('needs an initiated session to enable (50005)', async () => {
        const r = await erin.patch('/user/setting', { two_fa_enabled: true, two_fa_code: '123456' });
        expect(r).toMatchObject({ code: 50005, msg: 'You have not initiated 2FA session' });
      });

      it('enables with a valid code, then signs in with 203, then disables', async () => {
        const init = await erin.get('/user/setting/2fa');
        expect(init.code).toBe(0);
        expect(init.data).toMatch(/^[A-Z2-7]{32}$/);
        expect(await ts.server.ctx.kv.get(`2fa_init_${numericId((await erin.get('/user/me')).data.id)}`)).toBe(init.data);
        const secret: string = (await erin.get('/user/setting/2fa')).data;
        expect(secret).not.toBe(init.data);

        for (const code of [wrongCode(secret), '12345', 'abcdef', '1234567']) {
          const r = await erin.patch('/user/setting', { two_fa_enabled: true, two_fa_code: code });
          expect(r, code).toMatchObject({ code: 40022, msg: 'Incorrect 2FA code' });
        }
        expect((await erin.patch('/user/setting', { two_fa_enabled: true, two_fa_code: totpAt(init.data, Date.now()) })).code).toBe(40022);
        expect((await erin.get('/user/setting')).data.two_fa_enabled).toBe(false);

        expect(await erin.patch('/user/setting', { two_fa_enabled: true, two_fa_code: totpAt(secret, Date.now()) })).toEqual({ code: 0, msg: '' });
        expect((await erin.get('/user/setting')).data.two_fa_enabled).toBe(true);
        // The init session is consumed.
        expect((await erin.patch('/user/setting', { two_fa_enabled: true, two_fa_code: totpAt(secret, Date.now()) })).code).toBe(50005);

        const login = await ts.client().post('/session/token', { email: 'erin@example.com', password: 'password123' });
        expect(login.code).toBe(203);

        expect(await erin.patch('/user/setting', { two_fa_enabled: false, two_fa_code: wrongCode(secret) })).toMatchObject({ code: 40022 });
        expect(await erin.patch('/user/setting', { two_fa_enabled: false })).toMatchObject({ code: 40001 });
        expect(await erin.patch('/user/setting', { two_fa_enabled: false, two_fa_code: totpAt(secret, Date.now() - 30_000) })).toEqual({ code: 0, msg: '' });
        expect((await erin.get('/user/setting')).data.two_fa_enabled).toBe(false);
        expect(await erin.patch('/user/setting', { two_fa_enabled: false, two_fa_code: totpAt(secret, Date.now()) })).toMatchObject({
          code: 40022, msg: 'Two-factor authentication is not enabled',
        });
      });

      it('rejects the whole request when the 2FA code is wrong', async () => {
        const secret: string = (await erin.get('/user/setting/2fa')).data;
        const r = await erin.patch('/user/setting', { nick: 'Changed', two_fa_enabled: true, two_fa_code: wrongCode(secret) });
        expect(r.code).toBe(40022);
        expect((await erin.get('/user/me')).data.nickname).toBe('erin');
      });
    });

    it('lists the group storage policy as a one-element list', async () => {
      const r = await alice.get('/user/setting/policies');
      expect(r.code).toBe(0);
      expect(r.data).toEqual([{ id: ts.server.ctx.hashids.encode(1, HashType.Policy), name: 'Default storage policy', type: 'local', max_size: 0 }]);
    });

    describe('GET /user/shares/:id', () => {
      let frank: Client;
      let frankId: string;
      let frankNum: number;
      const shareIds: number[] = [];

      beforeAll(async () => {
        frank = ts.client();
        frankId = (await frank.signUpAndIn('frank@example.com')).user.id;
        frankNum = numericId(frankId);
        const k = kysely();
        const now = Date.now();
        const base = { owner_id: frankNum, size: 0, primary_entity: null, storage_policy_id: 1, props: null, created_at: now, updated_at: now };
        await k.insertInto('files').values({ ...base, type: 1, name: `root-${frankNum}`, parent_id: null }).execute();
        const root = await k.selectFrom('files').select('id').where('name', '=', `root-${frankNum}`).executeTakeFirstOrThrow();
        for (let i = 0; i < 25; i++) {
          await k.insertInto('files').values({ ...base, type: i % 2, name: `item ${i}`, parent_id: root.id }).execute();
          const f = await k.selectFrom('files').select('id').where('parent_id', '=', root.id).where('name', '=', `item ${i}`).executeTakeFirstOrThrow();
          await k.insertInto('shares').values({
            password: i % 5 === 4 ? 'secret12' : '', views: (i * 7) % 10, downloads: i, remain_downloads: i === 3 ? 0 : null,
            expires: i === 1 ? now - 1000 : i === 2 ? now + 3_600_000 : null, file_id: f.id, owner_id: frankNum,
            props: JSON.stringify({ share_view: true }), created_at: now + i, updated_at: now,
          }).execute();
        }
        shareIds.push(...(await k.selectFrom('shares').select('id').where('owner_id', '=', frankNum).orderBy('id').execute()).map((r) => r.id));
      });

      const page = (c: Client, q: string) => c.get(`/user/shares/${frankId}?${q}`);

      it('lists password-less shares by default, built locked, paged by cursor', async () => {
        const seen: any[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const r = await page(ts.client(), `page_size=10${token ? `&next_page_token=${encodeURIComponent(token)}` : ''}`);
          expect(r.code).toBe(0);
          expect(r.data.pagination).toMatchObject({ page: 0, page_size: 10, is_cursor: true });
          seen.push(...r.data.shares);
          token = r.data.pagination.next_token;
          pages++;
        } while (token);
        expect(pages).toBe(2);
        expect(seen).toHaveLength(20);
        const h = ts.server.ctx.hashids;
        expect(seen.map((s) => s.id)).toEqual(shareIds.filter((_, i) => i % 5 !== 4).map((id) => h.encode(id, HashType.Share)));
        const first = seen[0];
        expect(first).toMatchObject({ name: 'item 0', source_type: 0, visited: 0, unlocked: false, expired: false, owner: { id: frankId, nickname: 'frank' } });
        expect(first.url).toBe(`http://localhost:5212/s/${first.id}`);
        expect(first.owner.email).toBeUndefined();
        for (const s of seen) {
          expect(s.password).toBeUndefined();
          expect(s.downloaded).toBeUndefined();
          expect(s.remain_downloads).toBeUndefined();
          expect(s.expires).toBeUndefined();
          expect(s.is_private).toBeUndefined();
        }
        expect(seen[1]).toMatchObject({ name: 'item 1', source_type: 1, expired: true });
        expect(seen[2].expired).toBe(false);
        expect(seen[3].expired).toBe(true);
      });

      it('shows the owner their owner-only flags and honours share_links_in_profile', async () => {
        const own = await page(frank, 'page_size=10');
        expect(own.data.shares[0]).toMatchObject({ share_view: true, owner: { email: 'frank@example.com' } });

        await frank.patch('/user/setting', { share_links_in_profile: 'all_share' });
        const all = await page(alice, 'page_size=100');
        expect(all.data.shares).toHaveLength(25);
        expect(all.data.pagination.next_token).toBeUndefined();
        const locked = all.data.shares[4];
        expect(locked).toMatchObject({ password_protected: true, unlocked: false });
        expect(locked.password).toBeUndefined();
        expect(locked.url).not.toContain('secret12');

        await frank.patch('/user/setting', { share_links_in_profile: 'hide_share' });
        expect((await page(alice, 'page_size=10')).data).toEqual({ shares: [], pagination: { page: 0, page_size: 10, is_cursor: true } });
        await frank.patch('/user/setting', { share_links_in_profile: 'all_share' });
      });

      it('orders by views and downloads in both directions across pages', async () => {
        for (const [orderBy, dir] of [['views', 'desc'], ['views', 'asc'], ['downloads', 'desc'], ['remain_downloads', 'asc'], ['id', 'desc']] as const) {
          const ids: string[] = [];
          let token: string | undefined;
          do {
            const r = await page(alice, `page_size=10&order_by=${orderBy}&order_direction=${dir}${token ? `&next_page_token=${encodeURIComponent(token)}` : ''}`);
            expect(r.code, `${orderBy} ${dir}`).toBe(0);
            ids.push(...r.data.shares.map((s: any) => s.id));
            token = r.data.pagination.next_token;
          } while (token);
          expect(new Set(ids).size, `${orderBy} ${dir}`).toBe(25);
          const rows = await kysely().selectFrom('shares').selectAll().where('owner_id', '=', frankNum).execute();
          const key = (r: any) => (orderBy === 'id' ? 0 : orderBy === 'remain_downloads' ? r.remain_downloads ?? Number.MAX_SAFE_INTEGER : r[orderBy]);
          const sorted = [...rows].sort((a, b) => (key(a) - key(b) || a.id - b.id) * (dir === 'desc' ? -1 : 1));
          expect(ids, `${orderBy} ${dir}`).toEqual(sorted.map((r) => ts.server.ctx.hashids.encode(r.id, HashType.Share)));
        }
      });

      it('refuses bad parameters with 40001 and unknown users with 40021', async () => {
        expect((await page(alice, 'page_size=9')).code).toBe(40001);
        expect((await page(alice, 'page_size=101')).code).toBe(40001);
        expect((await page(alice, '')).code).toBe(40001);
        expect((await page(alice, 'page_size=ten')).code).toBe(40001);
        expect((await page(alice, 'page_size=10&order_direction=up')).code).toBe(40001);
        for (const token of ['garbage', Buffer.from('{"id":"zzzz"}').toString('base64'), Buffer.from('[1]').toString('base64'), Buffer.from(JSON.stringify({ id: frankId })).toString('base64')]) {
          expect(await page(alice, `page_size=10&next_page_token=${encodeURIComponent(token)}`), token).toMatchObject({ code: 40001, msg: 'Invalid page token' });
        }
        const viewsToken = Buffer.from(JSON.stringify({ id: ts.server.ctx.hashids.encode(shareIds[0]!, HashType.Share) })).toString('base64');
        expect((await page(alice, `page_size=10&order_by=views&next_page_token=${viewsToken}`)).code).toBe(40001);
        expect(await alice.get('/user/shares/nothashid?page_size=10')).toMatchObject({ code: 40001, msg: 'Failed to parse object ID' });
        expect(await alice.get(`/user/shares/${ts.server.ctx.hashids.encode(999999, HashType.User)}?page_size=10`)).toMatchObject({ code: 40021 });
      });
    });
  });
}

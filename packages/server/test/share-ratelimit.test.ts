import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';

const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`share lookup rate limit on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let alice: Client;
    let id: string;
    beforeAll(async () => {
      ts = await startServer(backend, { env: { CR_SETTING_share_lookup_rate_limit: '5', CR_SETTING_share_lookup_rate_window: '2' } });
      await newUser(ts, 'admin@example.com');
      ({ c: alice } = await newUser(ts, 'alice@example.com'));
      await alice.post('/file/create', { uri: 'cloudreve://my/docs/a.txt', type: 'file' });
      const url = (await alice.put<string>('/share', { uri: 'cloudreve://my/docs', is_private: true, password: 'right1' })).data!;
      id = new URL(url).pathname.split('/')[2]!;
    });
    afterAll(async () => ts?.close());

    it('stops a client that keeps guessing share ids or passwords, then lets it back after the window', async () => {
      const anon = ts.client();
      const guess = (n: number) => ts.server.ctx.hashids.encode(1000 + n, 0);
      // Failures through every door count: unknown ids, malformed ids, wrong passwords.
      expect((await anon.get(`/share/info/${guess(1)}`)).code).toBe(404);
      expect((await anon.get('/share/info/zz')).code).toBe(40001);
      expect((await anon.get(`/file?uri=${enc(`cloudreve://${guess(2)}@share`)}&page_size=10`)).code).toBe(404);
      expect((await anon.get(`/file?uri=${enc(`cloudreve://${id}:wrong@share`)}&page_size=10`)).code).toBe(40069);
      expect((await anon.get(`/share/info/${id}?password=wrong2`)).data.unlocked).toBe(false);
      // Over the limit: even the right answer is refused for this client.
      const blocked = await anon.get(`/share/info/${id}?password=right1`);
      expect(blocked.code).toBe(40027);
      expect(blocked.msg).toMatch(/Too many failed share link attempts/);
      expect((await anon.get(`/file?uri=${enc(`cloudreve://${id}:right1@share`)}&page_size=10`)).code).toBe(40027);
      // Other callers (a signed-in user is counted on their own) are not affected.
      expect((await alice.get(`/file?uri=${enc(`cloudreve://${id}:right1@share`)}&page_size=10`)).code).toBe(0);
      await sleep(2200);
      expect((await anon.get(`/share/info/${id}?password=right1`)).data.unlocked).toBe(true);
    });

    it('does not count successful lookups', async () => {
      const anon = ts.client();
      await sleep(2200);
      for (let i = 0; i < 8; i++) expect((await anon.get(`/file?uri=${enc(`cloudreve://${id}:right1@share`)}&page_size=10`)).code).toBe(0);
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { downloadPath, fetchBytes, uploadFile } from './helpers/transfer.ts';
import type { Client } from './helpers/client.ts';

/** Builds a zip in memory; names as raw bytes allow legacy (non-UTF-8) and hostile names. */
function makeZip(entries: { name: string | Buffer; data?: Buffer; dir?: boolean }[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const e of entries) {
    if (e.dir) zip.addEmptyDirectory(e.name as string);
    else zip.addBuffer(e.data ?? Buffer.alloc(0), e.name as string);
  }
  zip.end();
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (d: Buffer) => parts.push(d)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
  });
}

/** Rewrites entry names in a zip made by yazl (same byte length) and clears the UTF-8 flag. */
function patchName(zip: Buffer, from: string, to: Buffer): Buffer {
  const out = Buffer.from(zip);
  const needle = Buffer.from(from, 'utf8');
  expect(needle.length).toBe(to.length);
  for (let i = out.indexOf(needle); i >= 0; i = out.indexOf(needle, i + 1)) to.copy(out, i);
  // Local headers (PK\3\4, flags at +6) and central headers (PK\1\2, flags at +8): drop bit 11.
  for (let i = 0; i < out.length - 4; i++) {
    if (out.readUInt32LE(i) === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) & ~0x800, i + 6);
    else if (out.readUInt32LE(i) === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) & ~0x800, i + 8);
  }
  return out;
}

function readZip(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(e, (err2, s) => {
          if (err2) return reject(err2);
          const parts: Buffer[] = [];
          s.on('data', (d: Buffer) => parts.push(d)).on('end', () => { out.set(e.fileName, Buffer.concat(parts)); zip.readEntry(); });
        });
      }).on('end', () => resolve(out)).on('error', reject);
      zip.readEntry();
    });
  });
}

async function tasks(c: Client): Promise<any[]> {
  return (await c.get('/workflow?page_size=100&category=general')).data.tasks;
}

async function waitTask(c: Client, id: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.get('/workflow?page_size=100&category=general');
    const t = r.data.tasks.find((x: any) => x.id === id);
    if (t && ['completed', 'error', 'canceled'].includes(t.status)) return t;
    if (Date.now() > deadline) throw new Error(`task ${id} not finished: ${JSON.stringify(t)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function list(c: Client, uri: string): Promise<string[]> {
  const r = await c.get(`/file?uri=${encodeURIComponent(uri)}&page_size=100`);
  if (r.code !== 0) throw new Error(`list ${uri}: ${r.code} ${r.msg}`);
  return r.data.files.map((f: any) => f.name).sort();
}

async function content(ts: TestServer, c: Client, uri: string): Promise<Buffer> {
  return (await fetchBytes(ts, await downloadPath(c, uri))).body;
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`archive tasks on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let user: Client;
    beforeAll(async () => {
      ts = await startServer(backend, { env: { CR_SETTING_task_poll_interval: '100', CR_SETTING_extract_max_files: '50', CR_SETTING_extract_max_size: '1000000' } });
      admin = (await newUser(ts, 'admin@example.com')).c;
      user = (await newUser(ts, 'user@example.com')).c;
    });
    afterAll(async () => ts?.close());

    it('creates a zip of files and folders with UTF-8 names as a new file', async () => {
      const big = Buffer.alloc(300_000, 'x');
      await uploadFile(admin, 'cloudreve://my/src/报告.txt', Buffer.from('hello 世界'));
      await uploadFile(admin, 'cloudreve://my/src/sub/big.bin', big);
      await uploadFile(admin, 'cloudreve://my/top.txt', Buffer.from('top'));
      const r = await admin.post('/workflow/archive', { src: ['cloudreve://my/src', 'cloudreve://my/top.txt'], dst: 'cloudreve://my/out/all.zip' });
      expect(r.code).toBe(0);
      expect(r.data).toMatchObject({ status: 'queued', type: 'create_archive', summary: { phase: 'not_started', props: { dst: 'cloudreve://my/out/all.zip', src_multiple: ['cloudreve://my/src', 'cloudreve://my/top.txt'] } } });
      expect(r.data.node).toMatchObject({ type: 'master' });
      const done = await waitTask(admin, r.data.id);
      expect(done.status).toBe('completed');
      expect(done.duration).toBeGreaterThan(0);
      const zip = await content(ts, admin, 'cloudreve://my/out/all.zip');
      expect(zip.length).toBeLessThan(big.length); // deflated
      const entries = await readZip(zip);
      expect([...entries.keys()].sort()).toEqual(['src/sub/big.bin', 'src/报告.txt', 'top.txt']);
      expect(entries.get('src/报告.txt')!.toString()).toBe('hello 世界');
      expect(entries.get('src/sub/big.bin')!.equals(big)).toBe(true);
    });

    it('refuses an existing destination (40004), a group without the permission (40007) and anonymous callers', async () => {
      expect((await admin.post('/workflow/archive', { src: ['cloudreve://my/top.txt'], dst: 'cloudreve://my/top.txt' })).code).toBe(40004);
      await uploadFile(user, 'cloudreve://my/a.txt', Buffer.from('a'));
      expect((await user.post('/workflow/archive', { src: ['cloudreve://my/a.txt'], dst: 'cloudreve://my/a.zip' })).code).toBe(40007);
      expect((await user.post('/workflow/extract', { src: ['cloudreve://my/a.txt'], dst: 'cloudreve://my/x' })).code).toBe(40007);
      expect((await ts.client().get('/workflow?page_size=10&category=general')).code).toBe(401);
    });

    it('extracts a zip into a folder, keeping folders and UTF-8 names', async () => {
      const zip = await makeZip([
        { name: 'docs/', dir: true },
        { name: 'docs/说明.txt', data: Buffer.from('你好') },
        { name: 'a/b/c.bin', data: Buffer.alloc(5000, 7) },
      ]);
      await uploadFile(admin, 'cloudreve://my/in.zip', zip);
      const r = await admin.post('/workflow/extract', { src: ['cloudreve://my/in.zip'], dst: 'cloudreve://my/unpacked' });
      expect(r.code).toBe(0);
      expect(r.data).toMatchObject({ type: 'extract_archive', status: 'queued', summary: { props: { src: 'cloudreve://my/in.zip', dst: 'cloudreve://my/unpacked' } } });
      expect((await waitTask(admin, r.data.id)).status).toBe('completed');
      expect(await list(admin, 'cloudreve://my/unpacked')).toEqual(['a', 'docs']);
      expect((await content(ts, admin, 'cloudreve://my/unpacked/docs/说明.txt')).toString()).toBe('你好');
      expect((await content(ts, admin, 'cloudreve://my/unpacked/a/b/c.bin')).equals(Buffer.alloc(5000, 7))).toBe(true);
    });

    it('decodes legacy names with the requested encoding', async () => {
      const gbk = Buffer.from([0xd6, 0xd0, 0xce, 0xc4]); // "中文" in GBK, 4 bytes like "abcd"
      const zip = patchName(await makeZip([{ name: 'abcd.txt', data: Buffer.from('g') }]), 'abcd', gbk);
      await uploadFile(admin, 'cloudreve://my/gbk.zip', zip);
      const r = await admin.post('/workflow/extract', { src: ['cloudreve://my/gbk.zip'], dst: 'cloudreve://my/gbk', encoding: 'gbk' });
      expect((await waitTask(admin, r.data.id)).status).toBe('completed');
      expect(await list(admin, 'cloudreve://my/gbk')).toEqual(['中文.txt']);
      expect((await admin.post('/workflow/extract', { src: ['cloudreve://my/gbk.zip'], dst: 'cloudreve://my/gbk2', encoding: 'no-such-enc' })).code).toBe(40001);
    });

    it('skips zip-slip entries and never writes outside the destination', async () => {
      const zip = patchName(await makeZip([
        { name: 'ok.txt', data: Buffer.from('ok') },
        { name: 'xx/evil1.txt', data: Buffer.from('evil') },
        { name: 'yyyyyyyyyyy/evil2.txt', data: Buffer.from('evil') },
      ]), 'xx/evil1.txt', Buffer.from('../evil1.txt'));
      const zip2 = patchName(zip, 'yyyyyyyyyyy/evil2.txt', Buffer.from('/etc/x/../../evil2.txt'.slice(0, 21)));
      await uploadFile(admin, 'cloudreve://my/slip.zip', zip2);
      const r = await admin.post('/workflow/extract', { src: ['cloudreve://my/slip.zip'], dst: 'cloudreve://my/slip/inner' });
      expect((await waitTask(admin, r.data.id)).status).toBe('completed');
      expect(await list(admin, 'cloudreve://my/slip/inner')).toEqual(['ok.txt']);
      expect(await list(admin, 'cloudreve://my/slip')).toEqual(['inner']);
      const root = await list(admin, 'cloudreve://my');
      expect(root).not.toContain('evil1.txt');
      expect(root).not.toContain('evil2.txt');
    });

    it('refuses zip bombs (too many entries, too many bytes) and existing targets as task errors', async () => {
      const many = await makeZip(Array.from({ length: 60 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from('x') })));
      await uploadFile(admin, 'cloudreve://my/many.zip', many);
      const a = await admin.post('/workflow/extract', { src: ['cloudreve://my/many.zip'], dst: 'cloudreve://my/many' });
      const ta = await waitTask(admin, a.data.id);
      expect(ta.status).toBe('error');
      expect(ta.error).toMatch(/more than 50 entries/);
      expect(ta.retry_count).toBeUndefined(); // limits are not retried

      const bomb = await makeZip([{ name: 'zeros.bin', data: Buffer.alloc(2_000_000) }]);
      expect(bomb.length).toBeLessThan(10_000);
      await uploadFile(admin, 'cloudreve://my/bomb.zip', bomb);
      const b = await admin.post('/workflow/extract', { src: ['cloudreve://my/bomb.zip'], dst: 'cloudreve://my/bomb' });
      const tb = await waitTask(admin, b.data.id);
      expect(tb.status).toBe('error');
      expect(tb.error).toMatch(/expands to more than/);
      expect(await list(admin, 'cloudreve://my')).not.toContain('bomb');

      const again = await admin.post('/workflow/extract', { src: ['cloudreve://my/in.zip'], dst: 'cloudreve://my/unpacked' });
      const tc = await waitTask(admin, again.data.id);
      expect(tc.status).toBe('error');
    });

    it('lists only the caller\'s tasks with cursor pagination and categories; progress is owner/admin only', async () => {
      const { c: other } = await newUser(ts, 'other@example.com');
      for (let i = 0; i < 6; i++) {
        expect((await admin.post('/workflow/archive', { src: ['cloudreve://my/top.txt'], dst: `cloudreve://my/many/${i}.zip` })).code).toBe(0);
      }
      const mine = (await tasks(admin)).length;
      expect(mine).toBeGreaterThan(10);
      const first = await admin.get('/workflow?page_size=10&category=general');
      expect(first.data.tasks).toHaveLength(10);
      expect(first.data.pagination).toMatchObject({ page: 0, page_size: 10, is_cursor: true });
      const ids = first.data.tasks.map((t: any) => ts.server.ctx.hashids.decode(t.id, 11)!);
      expect([...ids].sort((a, b) => b - a)).toEqual(ids); // newest first
      const second = await admin.get(`/workflow?page_size=10&category=general&next_page_token=${first.data.pagination.next_token}`);
      expect(second.data.tasks.map((t: any) => t.id)).not.toContain(first.data.tasks[0].id);
      expect(first.data.tasks.length + second.data.tasks.length).toBe(Math.min(mine, 20));
      expect((await admin.get('/workflow?page_size=10&category=general&next_page_token=bogus')).code).toBe(40001);
      expect((await admin.get('/workflow?page_size=5&category=general')).code).toBe(40001);
      expect((await admin.get('/workflow?page_size=10&category=nope')).code).toBe(40001);
      expect((await admin.get('/workflow?page_size=10&category=downloading')).data.tasks).toEqual([]);
      expect((await other.get('/workflow?page_size=10&category=general')).data.tasks).toEqual([]);
      expect((await other.get(`/workflow/progress/${first.data.tasks[0].id}`)).data).toEqual({});
      await waitTask(admin, first.data.tasks[0].id);
      expect((await admin.get(`/workflow/progress/${first.data.tasks[0].id}`)).data).toEqual({}); // finished: not in memory
    });

    it('counts unreadable sources in summary.props.failed', async () => {
      await uploadFile(admin, 'cloudreve://my/lost/gone.txt', Buffer.from('gone'));
      await uploadFile(admin, 'cloudreve://my/lost/kept.txt', Buffer.from('kept'));
      const k = ts.server.ctx.db.kysely;
      const file = await k.selectFrom('files').select('primary_entity').where('name', '=', 'gone.txt').executeTakeFirstOrThrow();
      await k.updateTable('entities').set({ source: 'uploads/does/not/exist' }).where('id', '=', Number(file.primary_entity)).execute();
      const r = await admin.post('/workflow/archive', { src: ['cloudreve://my/lost'], dst: 'cloudreve://my/lost.zip' });
      const t = await waitTask(admin, r.data.id);
      expect(t.status).toBe('completed');
      expect(t.summary.props.failed).toBe(1);
      expect([...(await readZip(await content(ts, admin, 'cloudreve://my/lost.zip'))).keys()]).toEqual(['lost/kept.txt']);
    });

    it('enforces the quota while extracting', async () => {
      const k = ts.server.ctx.db.kysely;
      const { c, id } = await newUser(ts, 'quota@example.com');
      await k.insertInto('groups').values({ name: 'Tiny', max_storage: 4000, speed_limit: 0, permissions: Buffer.from([0x20]).toString('base64'), settings: '{}', storage_policy_id: 1, created_at: Date.now(), updated_at: Date.now() } as never).execute();
      const tiny = await k.selectFrom('groups').select('id').where('name', '=', 'Tiny').executeTakeFirstOrThrow();
      await k.updateTable('users').set({ group_id: tiny.id } as never).where('id', '=', id).execute();
      const zip = await makeZip([{ name: 'big.bin', data: Buffer.alloc(10_000, 1) }]);
      expect(zip.length).toBeLessThan(4000);
      await uploadFile(c, 'cloudreve://my/q.zip', zip);
      const r = await c.post('/workflow/extract', { src: ['cloudreve://my/q.zip'], dst: 'cloudreve://my/q' });
      expect(r.code).toBe(0);
      const t = await waitTask(c, r.data.id);
      expect(t.status).toBe('error');
      expect(t.error).toMatch(/capacity|storage|quota/i);
      expect(await list(c, 'cloudreve://my/q')).toEqual([]);
    });
  });
}

describe('task retries with backoff', () => {
  let ts: TestServer;
  let admin: Client;
  beforeAll(async () => {
    const backend = (await backends())[0]!;
    ts = await startServer(backend, { env: { CR_SETTING_task_poll_interval: '100', CR_SETTING_queue_io_intense_retry_delay: '1', CR_SETTING_queue_io_intense_max_retry: '3' } });
    admin = (await newUser(ts, 'admin@example.com')).c;
  });
  afterAll(async () => ts?.close());

  it('retries an I/O failure (suspending, retry_count, error_history) and succeeds once the cause is gone', async () => {
    await uploadFile(admin, 'cloudreve://my/r.zip', await makeZip([{ name: 'r.txt', data: Buffer.from('r') }]));
    const k = ts.server.ctx.db.kysely;
    const file = await k.selectFrom('files').select('primary_entity').where('name', '=', 'r.zip').executeTakeFirstOrThrow();
    const entity = await k.selectFrom('entities').select(['id', 'source']).where('id', '=', Number(file.primary_entity)).executeTakeFirstOrThrow();
    await k.updateTable('entities').set({ source: `${entity.source}.missing` }).where('id', '=', entity.id).execute();
    const r = await admin.post('/workflow/extract', { src: ['cloudreve://my/r.zip'], dst: 'cloudreve://my/r' });
    let t: any;
    for (let i = 0; ; i++) {
      t = (await admin.get('/workflow?page_size=10&category=general')).data.tasks.find((x: any) => x.id === r.data.id);
      if (t.retry_count >= 1) break;
      if (i > 100) throw new Error(`no retry: ${JSON.stringify(t)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(t.status).toBe('suspending');
    expect(t.error).toMatch(/Blob does not exist/);
    expect(t.error_history).toHaveLength(1);
    expect(t.resume_time).toBeGreaterThan(0);
    await k.updateTable('entities').set({ source: entity.source }).where('id', '=', entity.id).execute();
    const done = await waitTask(admin, r.data.id);
    expect(done.status).toBe('completed');
    expect(done.retry_count).toBeGreaterThanOrEqual(1);
    expect(done.resume_time).toBeUndefined();
    expect((await content(ts, admin, 'cloudreve://my/r/r.txt')).toString()).toBe('r');
  });

  it('gives up after max_retry attempts with status error', async () => {
    await uploadFile(admin, 'cloudreve://my/dead.zip', await makeZip([{ name: 'd.txt', data: Buffer.from('d') }]));
    const k = ts.server.ctx.db.kysely;
    const file = await k.selectFrom('files').select('primary_entity').where('name', '=', 'dead.zip').executeTakeFirstOrThrow();
    await k.updateTable('entities').set({ source: 'nowhere/at/all' }).where('id', '=', Number(file.primary_entity)).execute();
    const r = await admin.post('/workflow/extract', { src: ['cloudreve://my/dead.zip'], dst: 'cloudreve://my/dead' });
    const t = await waitTask(admin, r.data.id, 20_000);
    expect(t.status).toBe('error');
    expect(t.retry_count).toBe(3);
    expect(t.error_history).toHaveLength(4);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { backends } from './helpers/backends.ts';
import { childDatabase, killAllChildren, startChild, type ChildServer } from './helpers/child-server.ts';
import { downloadPath, sha256, uploadFile } from './helpers/transfer.ts';
import type { Client } from './helpers/client.ts';

async function tasks(c: Client): Promise<any[]> {
  const out: any[] = [];
  let token = '';
  for (;;) {
    const r = await c.get(`/workflow?page_size=10&category=general${token ? `&next_page_token=${token}` : ''}`);
    expect(r.code).toBe(0);
    out.push(...r.data.tasks);
    if (!r.data.pagination.next_token) return out;
    token = r.data.pagination.next_token;
  }
}

async function waitAll(c: Client, n: number, timeoutMs = 90_000): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await tasks(c);
    if (all.length >= n && all.every((t) => ['completed', 'error', 'canceled'].includes(t.status))) return all;
    if (Date.now() > deadline) throw new Error(`tasks not finished: ${JSON.stringify(all.map((t) => t.status))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function zipEntries(buf: Buffer): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, {}, (err, zip) => {
      if (err) return reject(err);
      const out = new Map<string, number>();
      zip.on('entry', (e: yauzl.Entry) => out.set(e.fileName, e.uncompressedSize)).on('end', () => resolve(out)).on('error', reject);
    });
  });
}

const seen = new Set<string>();
const dbBackends = (await backends()).filter((b) => !seen.has(b.db) && seen.add(b.db));

afterAll(() => killAllChildren());

for (const backend of dbBackends) {
  describe.skipIf(!!backend.skip)(`task queue with two server processes on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const f of cleanups) await f().catch(() => undefined);
    });

    it('never runs a task twice across instances, and a task whose worker was SIGKILLed mid-run is resumed after a restart', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-tasks-'));
      const db = await childDatabase(backend, dataDir);
      cleanups.push(async () => {
        await db.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      const env = { ...db.env, CR_SETTING_task_poll_interval: '50', CR_SETTING_task_lease_seconds: '2' };
      const a: ChildServer = await startChild(dataDir, env);
      const b: ChildServer = await startChild(dataDir, env);
      const ca = a.client();
      await ca.signUpAndIn('admin@example.com');
      const cb = b.client();
      await cb.signIn('admin@example.com');

      // 1. Many tasks, two instances polling the same table: each runs exactly once.
      await uploadFile(ca, 'cloudreve://my/src/a.txt', Buffer.from('alpha'));
      const n = 16;
      for (let i = 0; i < n; i++) {
        const c = i % 2 ? cb : ca;
        const r = await c.post('/workflow/archive', { src: ['cloudreve://my/src'], dst: `cloudreve://my/out/z${i}.zip` });
        expect(r.code).toBe(0);
      }
      const done = await waitAll(ca, n);
      for (const t of done) {
        expect(t.status).toBe('completed');
        expect(t.retry_count).toBeUndefined();
        expect(t.error_history).toBeUndefined();
      }
      // A second run of any task would have added a version to its zip.
      for (let i = 0; i < n; i++) {
        const info = await ca.get(`/file/info?uri=${encodeURIComponent(`cloudreve://my/out/z${i}.zip`)}&extended=true`);
        expect(info.code).toBe(0);
        expect(info.data.extended_info.entities).toHaveLength(1);
      }
      const ids = done.map((t) => t.id);
      expect(new Set(ids).size).toBe(n);

      // 2. Kill the instance that runs a long task; the survivor takes it over after the lease.
      const big = randomBytes(48 * 1024 * 1024);
      await uploadFile(ca, 'cloudreve://my/big/blob.bin', big);
      await b.kill(); // only A may claim the task
      const r = await ca.post('/workflow/archive', { src: ['cloudreve://my/big'], dst: 'cloudreve://my/big.zip' });
      expect(r.code).toBe(0);
      for (let i = 0; ; i++) {
        const t = (await tasks(ca)).find((x) => x.id === r.data.id);
        if (t.status === 'processing') break;
        expect(t.status).toBe('queued');
        if (i > 200) throw new Error('task never started');
        await new Promise((res) => setTimeout(res, 20));
      }
      await a.kill();
      const c = (await startChild(dataDir, env)).client();
      await c.signIn('admin@example.com');
      const all = await waitAll(c, n + 1, 120_000);
      const resumed = all.find((x) => x.id === r.data.id);
      expect(resumed.status).toBe('completed');
      const zip = Buffer.from(await (await fetch(new URL(await downloadPath(c, 'cloudreve://my/big.zip'), (c as any).base))).arrayBuffer());
      const entries = await zipEntries(zip);
      expect(entries.get('big/blob.bin')).toBe(big.length);
      expect(sha256(zip).length).toBe(64);
      const info = await c.get(`/file/info?uri=${encodeURIComponent('cloudreve://my/big.zip')}&extended=true`);
      expect(info.data.extended_info.entities).toHaveLength(1);
      // The killed run's half-written zip was removed when the task was claimed again.
      const temp = path.join(dataDir, 'temp', 'tasks');
      expect(fs.existsSync(temp) ? fs.readdirSync(temp) : []).toEqual([]);
    }, 300_000);
  });
}

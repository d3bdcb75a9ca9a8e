import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { createDavAccount, toolAvailable } from './helpers/webdav.ts';

/**
 * A real client: rclone (Debian package) with `vendor = owncloud` syncs a folder tree up and back
 * down through /dav. Checks byte-exact round trips (SHA-256), names with spaces/Unicode/%/#,
 * modification times via X-OC-Mtime, and rclone's own hash check against oc:checksums.
 */
const tool = toolAvailable('rclone', ['version']);

function rclone(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('rclone', args, { env: { ...process.env, ...env } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

/** relative path → sha256 of every file below `dir`. */
function digestTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function writeFile(root: string, rel: string, data: Buffer, mtimeSec?: number) {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  if (mtimeSec) fs.utimesSync(p, mtimeSec, mtimeSec);
}

for (const backend of await backends()) {
  const skip = backend.skip ?? (tool.ok ? undefined : tool.why);
  describe.skipIf(!!skip)(`rclone (vendor owncloud) on ${backend.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let ts: TestServer;
    let env: Record<string, string>;
    let work: string;
    let userId: number;
    const MTIME = 1_600_000_000;

    beforeAll(async () => {
      ts = await startServer(backend);
      const u = await newUser(ts, 'rclone@example.com');
      userId = u.id;
      const acct = await createDavAccount(u.c, 'cloudreve://my');
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-rclone-'));
      fs.writeFileSync(path.join(work, 'rclone.conf'), '');
      const obscured = (await rclone({}, 'obscure', acct.password)).out.trim();
      env = {
        RCLONE_CONFIG: path.join(work, 'rclone.conf'),
        RCLONE_CONFIG_CR_TYPE: 'webdav',
        RCLONE_CONFIG_CR_URL: `${ts.url}/dav/`,
        RCLONE_CONFIG_CR_VENDOR: 'owncloud',
        RCLONE_CONFIG_CR_USER: 'rclone@example.com',
        RCLONE_CONFIG_CR_PASS: obscured,
      };
      const src = path.join(work, 'src');
      writeFile(src, 'readme.txt', Buffer.from('hello rclone\n'), MTIME);
      writeFile(src, 'empty.bin', Buffer.alloc(0));
      writeFile(src, 'big/blob.bin', randomBytes(3 * 1024 * 1024 + 17));
      writeFile(src, 'with space/100% #1.txt', Buffer.from('percent and hash'));
      writeFile(src, 'über/日本語 ファイル.txt', Buffer.from('unicode ✓'));
      for (let i = 0; i < 30; i++) writeFile(src, `many/d${i % 3}/f${i}.dat`, randomBytes(1000 + i));
    }, 120_000);
    afterAll(async () => {
      await ts?.close();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it('copies a tree up and back down byte-exactly', async () => {
      const up = await rclone(env, 'copy', path.join(work, 'src'), 'cr:up');
      expect(up.code, up.out).toBe(0);
      const down = await rclone(env, 'copy', 'cr:up', path.join(work, 'down'));
      expect(down.code, down.out).toBe(0);
      expect(digestTree(path.join(work, 'down'))).toEqual(digestTree(path.join(work, 'src')));
      await assertCapacityConsistent(ts, userId);
    }, 120_000);

    it('rclone check agrees using the MD5/SHA-1 of oc:checksums, and modification times survive', async () => {
      const check = await rclone(env, 'check', path.join(work, 'src'), 'cr:up');
      expect(check.code, check.out).toBe(0);
      expect(check.out).not.toMatch(/hash(es)? (could not|couldn't) be checked|no hashes in common/i);
      const ls = await rclone(env, 'lsjson', '--hash', 'cr:up/readme.txt');
      const [entry] = JSON.parse(ls.out) as { ModTime: string; Hashes?: Record<string, string> }[];
      expect(Math.floor(Date.parse(entry!.ModTime) / 1000)).toBe(MTIME);
      expect(entry!.Hashes?.md5).toBe(createHash('md5').update('hello rclone\n').digest('hex'));
      expect(entry!.Hashes?.sha1).toBe(createHash('sha1').update('hello rclone\n').digest('hex'));
    }, 120_000);

    it('sync uploads changes as new versions and removes deleted files', async () => {
      const src = path.join(work, 'src');
      writeFile(src, 'readme.txt', Buffer.from('changed content\n'), MTIME + 100);
      fs.rmSync(path.join(src, 'many/d0'), { recursive: true });
      const sync = await rclone(env, 'sync', src, 'cr:up');
      expect(sync.code, sync.out).toBe(0);
      const back = path.join(work, 'back');
      expect((await rclone(env, 'sync', 'cr:up', back)).code).toBe(0);
      expect(digestTree(back)).toEqual(digestTree(src));
      await assertCapacityConsistent(ts, userId);
    }, 120_000);
  });
}

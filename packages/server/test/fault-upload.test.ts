import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { childDatabase, killAllChildren, startChild, type ChildServer } from './helpers/child-server.ts';
import type { Client } from './helpers/client.ts';
import { createSession, downloadPath, putChunk, sha256 } from './helpers/transfer.ts';

/**
 * Crash tests with real processes: the server is SIGKILLed in the middle of a chunk upload and in
 * the middle of a commit (fault-injection points), then restarted on the same data directory and
 * database. Afterwards no partial file may be visible, capacity must match what is stored, upload
 * temp data must be gone (or belong to a live session), and the upload must resume or fail cleanly.
 */

const enc = encodeURIComponent;
const CHUNK = 25 * 1024 * 1024; // the seeded local policy's chunk size

afterAll(() => killAllChildren());

/** Starts sending a chunk and resolves once `sendBytes` of it are on the wire; the request never completes. */
function startSlowChunk(server: ChildServer, token: string, sessionId: string, index: number, length: number, sendBytes: number): Promise<void> {
  const url = new URL(server.url);
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname, port: url.port, method: 'POST', path: `/api/v4/file/upload/${sessionId}/${index}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(length) },
    });
    req.on('error', () => undefined); // the server dies under it
    req.write(randomBytes(sendBytes), () => setTimeout(resolve, 300));
  });
}

async function fileEntry(c: Client, dir: string, name: string): Promise<any> {
  const r = await c.get(`/file?uri=${enc(dir)}`);
  return r.data.files.find((f: any) => f.name === name);
}

const used = async (c: Client) => (await c.get('/user/capacity')).data.used as number;
const tempFiles = (dataDir: string) => {
  const dir = path.join(dataDir, 'temp', 'uploads');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
};
const blobs = (dataDir: string): string[] => {
  const root = path.join(dataDir, 'uploads');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(root, p)).isFile());
};

for (const backend of (await backends()).filter((b) => !b.redis)) {
  describe.skipIf(!!backend.skip)(`upload crash recovery on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, { timeout: 300_000 }, () => {
    const runs: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const r of runs) await r().catch(() => undefined);
    });

    async function setup(name: string) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `crts-fault-${name}-`));
      const db = await childDatabase(backend, dataDir);
      runs.push(async () => {
        await db.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      return { dataDir, env: db.env };
    }

    it('SIGKILL during a chunk: after restart only the placeholder is visible, capacity holds the reservation, and the upload resumes', async () => {
      const { dataDir, env } = await setup('chunk');
      const data = randomBytes(CHUNK + 100_000);
      let server = await startChild(dataDir, env);
      let c = server.client();
      await c.signUpAndIn('alice@example.com');
      const s = await createSession(c, 'cloudreve://my/big/movie.bin', data.length);
      expect(s.data.chunk_size).toBe(CHUNK);
      expect((await putChunk(c, s.data.session_id, 0, data.subarray(0, CHUNK))).code).toBe(0);
      await startSlowChunk(server, c.token!, s.data.session_id, 1, 100_000, 40_000);
      await server.kill();

      server = await startChild(dataDir, env);
      c = server.client();
      await c.signIn('alice@example.com');
      const placeholder = await fileEntry(c, 'cloudreve://my/big', 'movie.bin');
      expect(placeholder).toMatchObject({ size: 0, metadata: { 'sys:upload_session_id': s.data.session_id } });
      const url = await c.post('/file/url', { uris: ['cloudreve://my/big/movie.bin'] });
      expect(url.code).toBe(40081); // no partial content is ever served
      expect(await used(c)).toBe(data.length);
      expect(blobs(dataDir)).toEqual([]);
      expect(tempFiles(dataDir)).toEqual([`${s.data.session_id}.part`]);

      // Resume: the interrupted chunk is sent again (the stored chunk 0 still counts).
      expect((await putChunk(c, s.data.session_id, 1, data.subarray(CHUNK))).code).toBe(0);
      const done = await fileEntry(c, 'cloudreve://my/big', 'movie.bin');
      expect(done.size).toBe(data.length);
      const res = await fetch(server.url + (await downloadPath(c, 'cloudreve://my/big/movie.bin')));
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(data));
      expect(await used(c)).toBe(data.length);
      expect(tempFiles(dataDir)).toEqual([]);
      expect(blobs(dataDir)).toHaveLength(1);
      await server.kill();
    });

    // Child servers start slowly: the full matrix runs on SQLite, the DB-sensitive cases everywhere.
    const full = backend.db === 'sqlite';

    if (full) it('SIGKILL during a chunk, then cancel after restart: placeholder, reservation and temp data are gone', async () => {
      const { dataDir, env } = await setup('cancel');
      let server = await startChild(dataDir, env);
      let c = server.client();
      await c.signUpAndIn('alice@example.com');
      const s = await createSession(c, 'cloudreve://my/part.bin', 3_000_000);
      await startSlowChunk(server, c.token!, s.data.session_id, 0, 3_000_000, 1_000_000);
      await server.kill();

      server = await startChild(dataDir, env);
      c = server.client();
      await c.signIn('alice@example.com');
      expect(await used(c)).toBe(3_000_000);
      expect((await c.delete('/file/upload', { id: s.data.session_id, uri: 'cloudreve://my/part.bin' })).code).toBe(0);
      expect(await used(c)).toBe(0);
      expect(await fileEntry(c, 'cloudreve://my', 'part.bin')).toBeUndefined();
      expect(tempFiles(dataDir)).toEqual([]);
      expect(blobs(dataDir)).toEqual([]);
      await server.kill();
    });

    for (const point of ['upload-commit-before-publish', 'upload-commit-after-publish']) {
      if (full || point.endsWith('after-publish')) it(`SIGKILL during the commit (${point}): the restart finishes it exactly once`, async () => {
        const { dataDir, env } = await setup(point.endsWith('before-publish') ? 'before' : 'after');
        const data = randomBytes(300_000);
        let server = await startChild(dataDir, { ...env, CR_FAULT_INJECT: point });
        let c = server.client();
        await c.signUpAndIn('alice@example.com');
        const s = await createSession(c, 'cloudreve://my/doc.pdf', data.length);
        await expect(putChunk(c, s.data.session_id, 0, data)).rejects.toThrow();
        await server.exited;
        await server.kill();
        if (point.endsWith('after-publish')) {
          expect(blobs(dataDir)).toHaveLength(1); // the blob was published, the database not yet told
          expect(tempFiles(dataDir)).toEqual([]);
        } else {
          expect(blobs(dataDir)).toEqual([]);
          expect(tempFiles(dataDir)).toEqual([`${s.data.session_id}.part`]);
        }

        server = await startChild(dataDir, env);
        c = server.client();
        await c.signIn('alice@example.com');
        // The startup sweep finishes interrupted commits.
        let f: any;
        for (let i = 0; i < 100; i++) {
          f = await fileEntry(c, 'cloudreve://my', 'doc.pdf');
          if (f?.size === data.length) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(f.size).toBe(data.length);
        expect(f.metadata['sys:upload_session_id']).toBeUndefined();
        const p = await downloadPath(c, 'cloudreve://my/doc.pdf');
        const got = Buffer.from(await (await fetch(server.url + p)).arrayBuffer());
        expect(sha256(got)).toBe(sha256(data));
        expect(await used(c)).toBe(data.length);
        expect(tempFiles(dataDir)).toEqual([]);
        expect(blobs(dataDir)).toHaveLength(1);
        // The session is over: a late retry of the last chunk is refused, nothing is committed twice.
        expect((await putChunk(c, s.data.session_id, 0, data)).code).toBe(40011);
        expect(await used(c)).toBe(data.length);
        await server.kill();
      });
    }
  });
}

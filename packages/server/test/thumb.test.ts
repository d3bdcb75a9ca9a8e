import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import type { Client } from './helpers/client.ts';
import { fetchBytes, localPath, uploadFile } from './helpers/transfer.ts';
import { runThumbnailTasks } from '../src/transfer/thumb-worker.ts';
import { existingThumbnail } from '../src/transfer/thumbnails.ts';

const enc = encodeURIComponent;
const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;

async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 90 } } }).png().toBuffer();
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`thumbnails on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let alice: Client;
    const thumb = (c: Client, uri: string) => c.get(`/file/thumb?uri=${enc(uri)}`);
    const fileId = async (uri: string) => {
      const info = await alice.get(`/file/info?uri=${enc(uri)}`);
      return ts.server.ctx.hashids.decode(info.data.id, 2)!;
    };

    beforeAll(async () => {
      ts = await startServer(backend);
      await ts.client().signUpAndIn('admin@example.com');
      alice = ts.client();
      await alice.signUpAndIn('alice@example.com');
    });
    afterAll(async () => ts?.close());

    it('generates an image thumbnail once, stores it as a thumbnail entity and serves it through a signed URL', async () => {
      await uploadFile(alice, 'cloudreve://my/pic.png', await png(800, 600));
      const usedBefore = (await alice.get('/user/capacity')).data.used;
      const r = await thumb(alice, 'cloudreve://my/pic.png');
      expect(r.code).toBe(0);
      expect(r.data.url).toMatch(/\/api\/v4\/file\/content\/[A-Za-z0-9]+\/0\/pic\.png\.jpg\?sign=/);
      expect(Date.parse(r.data.expires)).toBeGreaterThan(Date.now());
      const img = await fetchBytes(ts, localPath(r.data.url));
      expect(img.status).toBe(200);
      expect(img.headers.get('content-type')).toBe('image/jpeg');
      const meta = await sharp(img.body).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBe(400);
      expect(meta.height).toBe(300);
      const again = await thumb(alice, 'cloudreve://my/pic.png');
      expect(new URL(again.data.url).pathname).toBe(new URL(r.data.url).pathname);
      const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/pic.png')}&extended=true`);
      const thumbs = info.data.extended_info.entities.filter((e: any) => e.type === 1);
      expect(thumbs).toHaveLength(1);
      expect((await alice.get('/user/capacity')).data.used).toBe(usedBefore + thumbs[0].size);
      const e = await existingThumbnail(ts.server.ctx, await fileId('cloudreve://my/pic.png'));
      expect(e!.source.endsWith('._thumb')).toBe(true);
      expect(fs.existsSync(path.join(ts.dataDir, 'uploads', e!.source))).toBe(true);
    });

    it('marks files without a generator, empty files and broken images thumb:disabled (40077), and refuses folders', async () => {
      await uploadFile(alice, 'cloudreve://my/readme.txt', Buffer.from('text'));
      const t = await thumb(alice, 'cloudreve://my/readme.txt');
      expect(t.code).toBe(40077);
      const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/readme.txt')}`);
      expect(info.data.metadata).toHaveProperty('thumb:disabled');
      expect((await thumb(alice, 'cloudreve://my/readme.txt')).code).toBe(40077);
      await uploadFile(alice, 'cloudreve://my/broken.png', randomBytes(2000));
      expect((await thumb(alice, 'cloudreve://my/broken.png')).code).toBe(40077);
      expect((await alice.get(`/file/info?uri=${enc('cloudreve://my/broken.png')}`)).data.metadata).toHaveProperty('thumb:disabled');
      await alice.post('/file/create', { uri: 'cloudreve://my/empty.png', type: 'file' });
      expect((await thumb(alice, 'cloudreve://my/empty.png')).code).toBe(40077);
      await alice.post('/file/create', { uri: 'cloudreve://my/dir', type: 'folder' });
      expect((await thumb(alice, 'cloudreve://my/dir')).code).toBe(40077);
      expect((await thumb(alice, 'cloudreve://my/none.png')).code).toBe(40016);
      expect((await thumb(ts.client(), 'cloudreve://my/pic.png')).code).toBe(401);
    });

    it('queues a thumbnail job when an upload completes and drops thumbnails when a new version arrives', async () => {
      await uploadFile(alice, 'cloudreve://my/queued.png', await png(300, 300));
      const id = await fileId('cloudreve://my/queued.png');
      const queued = await ts.server.ctx.db.kysely.selectFrom('tasks').select('id').where('type', '=', 'thumbnail').execute();
      // The background queue may already have run it; either way the thumbnail exists afterwards.
      if (queued.length) await runThumbnailTasks(ts.server.ctx);
      for (let i = 0; i < 50 && !(await existingThumbnail(ts.server.ctx, id)); i++) await new Promise((r) => setTimeout(r, 100));
      const first = await existingThumbnail(ts.server.ctx, id);
      expect(first).toBeDefined();
      expect(await ts.server.ctx.db.kysely.selectFrom('tasks').select('id').where('type', '=', 'thumbnail').execute()).toEqual([]);
      await uploadFile(alice, 'cloudreve://my/queued.png', await png(200, 100), { entity_type: 'version' });
      const after = await alice.get(`/file/info?uri=${enc('cloudreve://my/queued.png')}&extended=true`);
      const stillOld = after.data.extended_info.entities.filter((e: any) => e.type === 1 && ts.server.ctx.hashids.decode(e.id, 8) === first!.id);
      expect(stillOld).toEqual([]);
      const r = await thumb(alice, 'cloudreve://my/queued.png');
      expect(r.code).toBe(0);
      const meta = await sharp((await fetchBytes(ts, localPath(r.data.url))).body).metadata();
      expect([meta.width, meta.height]).toEqual([200, 100]);
    });

    it.skipIf(!hasFfmpeg)('renders a video frame with ffmpeg', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-vid-'));
      await uploadFile(alice, 'cloudreve://my/off.mp4', Buffer.from('not even a video'));
      expect((await thumb(alice, 'cloudreve://my/off.mp4')).code).toBe(40077); // generator disabled (the default)
      await ts.server.ctx.settings.set({ thumb_ffmpeg_enabled: '1' });
      try {
        const file = path.join(dir, 'clip.mp4');
        execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=640x360:rate=10', '-pix_fmt', 'yuv420p', file]);
        await uploadFile(alice, 'cloudreve://my/clip.mp4', fs.readFileSync(file));
        const r = await thumb(alice, 'cloudreve://my/clip.mp4');
        expect(r.code).toBe(0);
        const meta = await sharp((await fetchBytes(ts, localPath(r.data.url))).body).metadata();
        expect(meta.format).toBe('jpeg');
        expect(meta.width).toBe(400);
        expect(meta.height).toBe(225);
      } finally {
        await ts.server.ctx.settings.set({ thumb_ffmpeg_enabled: '0' });
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

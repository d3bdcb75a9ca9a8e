import { Readable } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type StorageDriver, type UploadHandle } from '../../src/storage/driver.ts';

export interface DriverUnderTest {
  driver: StorageDriver;
  cleanup?(): Promise<void>;
}

/** What the suite checks beyond the basics; each flag must match the driver's capabilities. */
export interface DriverTraits {
  /** Chunks are written through the server (`writeChunk`); capabilities.serverSideUpload. */
  serverUploads: boolean;
  /** The client uploads to presigned part URLs and completes the upload itself (`presignUpload`). */
  clientUploads: boolean;
  /** Presigned download URLs (`presignDownload`). */
  presign: boolean;
}

const LOCAL_LIKE: DriverTraits = { serverUploads: true, clientUploads: false, presign: false };

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

const body = (b: Buffer) => Readable.from([b]);

/** Streams `b` in several small pieces, like a socket would. */
const trickle = (b: Buffer, piece = 1000) =>
  Readable.from((function* () {
    for (let i = 0; i < b.length; i += piece) yield b.subarray(i, i + piece);
  })());

async function expectStorageError(p: Promise<unknown>, kind: StorageError['kind']): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, `expected StorageError(${kind})`).toBeInstanceOf(StorageError);
  expect((e as StorageError).kind).toBe(kind);
}

/**
 * The behaviour every StorageDriver must show (the tus-node-server pattern): adding a driver means
 * calling this with a factory and passing. Keys are unique per run, so a shared bucket is fine.
 */
export function runDriverConformance(name: string, makeDriver: () => Promise<DriverUnderTest>, traits: DriverTraits = LOCAL_LIKE): void {
  // Cases that do not apply to a driver are not defined at all (CI counts skips).
  const when = (flag: boolean) => (flag ? it : ((() => undefined) as unknown as typeof it));
  const serverIt = when(traits.serverUploads);
  const clientIt = when(traits.clientUploads);
  const presignIt = when(traits.presign);
  describe(`storage driver conformance: ${name}`, () => {
    let d: StorageDriver;
    let under: DriverUnderTest;
    const ns = `conf-${randomUUID().slice(0, 8)}`;
    const k = (s: string) => `${ns}/${s}`;

    beforeAll(async () => {
      under = await makeDriver();
      d = under.driver;
      expect(d.capabilities.serverSideUpload, 'traits.serverUploads matches the driver').toBe(traits.serverUploads);
      expect(!!d.presignUpload && !d.capabilities.serverSideUpload, 'traits.clientUploads matches the driver').toBe(traits.clientUploads);
      expect(!!d.presignDownload, 'traits.presign matches the driver').toBe(traits.presign);
    });
    afterAll(async () => under?.cleanup?.());

    it('puts a blob and reads it back, whole and by range', async () => {
      const data = randomBytes(100_000);
      const st = await d.put(k('a/one.bin'), trickle(data), { size: data.length });
      expect(st.size).toBe(data.length);
      expect((await readAll(await d.get(k('a/one.bin')))).equals(data)).toBe(true);
      const part = await readAll(await d.get(k('a/one.bin'), { range: { start: 10, end: 19 } }));
      expect(part.equals(data.subarray(10, 20))).toBe(true);
      const last = await readAll(await d.get(k('a/one.bin'), { range: { start: data.length - 1, end: data.length - 1 } }));
      expect(last.equals(data.subarray(data.length - 1))).toBe(true);
    });

    it('stores UTF-8 keys byte-exactly and empty blobs', async () => {
      await d.put(k('ünï/文件 名.txt'), body(Buffer.from('hi')), { size: 2 });
      expect((await readAll(await d.get(k('ünï/文件 名.txt')))).toString()).toBe('hi');
      await d.put(k('empty'), body(Buffer.alloc(0)), { size: 0 });
      expect((await d.stat(k('empty')))?.size).toBe(0);
      expect((await readAll(await d.get(k('empty')))).length).toBe(0);
    });

    it('refuses a put whose body does not match the declared size, leaving nothing behind', async () => {
      await expectStorageError(d.put(k('short'), body(Buffer.alloc(5)), { size: 10 }), 'size_mismatch');
      await expectStorageError(d.put(k('long'), body(Buffer.alloc(15)), { size: 10 }), 'size_mismatch');
      expect(await d.stat(k('short'))).toBeUndefined();
      expect(await d.stat(k('long'))).toBeUndefined();
    });

    it('stats, reports missing keys, and deletes idempotently', async () => {
      await d.put(k('del/x'), body(Buffer.from('x')), { size: 1 });
      const st = await d.stat(k('del/x'));
      expect(st?.size).toBe(1);
      expect(st!.modifiedAt).toBeGreaterThan(0);
      expect(await d.stat(k('del/missing'))).toBeUndefined();
      await expectStorageError(d.get(k('del/missing')), 'not_found');
      expect(await d.delete([k('del/x'), k('del/missing')])).toEqual([]);
      expect(await d.stat(k('del/x'))).toBeUndefined();
      expect(await d.delete([k('del/x')])).toEqual([]);
    });

    it('lists by prefix', async () => {
      await d.put(k('ls/a/1'), body(Buffer.from('1')), { size: 1 });
      await d.put(k('ls/a/2'), body(Buffer.from('22')), { size: 2 });
      await d.put(k('ls/b/3'), body(Buffer.from('333')), { size: 3 });
      const all: Record<string, number> = {};
      for await (const b of d.list(k('ls/'))) all[b.key] = b.size;
      expect(all).toEqual({ [k('ls/a/1')]: 1, [k('ls/a/2')]: 2, [k('ls/b/3')]: 3 });
      const onlyA: string[] = [];
      for await (const b of d.list(k('ls/a/'))) onlyA.push(b.key);
      expect(onlyA.sort()).toEqual([k('ls/a/1'), k('ls/a/2')]);
    });

    it('refuses keys that escape the storage root', async () => {
      for (const bad of ['../escape', `${ns}/../../escape`, '/../../etc/passwd', '']) {
        await expectStorageError(d.put(bad, body(Buffer.from('x')), { size: 1 }), 'invalid_key');
      }
      await expectStorageError(d.get('../../etc/passwd'), 'invalid_key');
    });

    serverIt('assembles a chunked upload written out of order, with a re-sent chunk, and publishes it only on completion', async () => {
      const size = 25_000;
      const chunkSize = 10_000;
      const data = randomBytes(size);
      const h = await d.createUpload({ id: randomUUID(), key: k('up/big.bin'), size, chunkSize });
      expect(JSON.parse(JSON.stringify(h))).toEqual(h); // the handle is plain JSON, persisted by the caller
      const chunk = (i: number, b = data) => ({ index: i, offset: i * chunkSize, length: Math.min(chunkSize, size - i * chunkSize), body: trickle(b.subarray(i * chunkSize, Math.min(size, (i + 1) * chunkSize))) });
      await d.writeChunk(h, chunk(2));
      await d.writeChunk(h, chunk(0, randomBytes(size))); // wrong bytes first …
      await d.writeChunk(h, chunk(1));
      expect(await d.stat(k('up/big.bin'))).toBeUndefined();
      await d.writeChunk(h, chunk(0)); // … replaced by a re-send
      const st = await d.completeUpload(h);
      expect(st.size).toBe(size);
      expect((await readAll(await d.get(k('up/big.bin')))).equals(data)).toBe(true);
      // Completing again (a commit repeated after a crash) succeeds without touching the blob.
      expect((await d.completeUpload(h)).size).toBe(size);
      expect((await readAll(await d.get(k('up/big.bin')))).equals(data)).toBe(true);
    });

    serverIt('refuses a chunk longer or shorter than declared', async () => {
      const h = await d.createUpload({ id: randomUUID(), key: k('up/len.bin'), size: 10, chunkSize: 0 });
      await expectStorageError(d.writeChunk(h, { index: 0, offset: 0, length: 10, body: body(Buffer.alloc(11)) }), 'size_mismatch');
      await expectStorageError(d.writeChunk(h, { index: 0, offset: 0, length: 10, body: body(Buffer.alloc(9)) }), 'size_mismatch');
      await d.abortUpload(h);
    });

    serverIt('never replaces an existing blob when completing an upload under a taken key', async () => {
      await d.put(k('up/taken'), body(Buffer.from('original')), { size: 8 });
      const h = await d.createUpload({ id: randomUUID(), key: k('up/taken'), size: 3, chunkSize: 0 });
      await d.writeChunk(h, { index: 0, offset: 0, length: 3, body: body(Buffer.from('new')) });
      await expectStorageError(d.completeUpload(h), 'conflict');
      expect((await readAll(await d.get(k('up/taken')))).toString()).toBe('original');
      await d.abortUpload(h);
    });

    serverIt('aborts an upload idempotently and then refuses to continue or complete it', async () => {
      const h = await d.createUpload({ id: randomUUID(), key: k('up/aborted'), size: 4, chunkSize: 2 });
      await d.writeChunk(h, { index: 0, offset: 0, length: 2, body: body(Buffer.from('ab')) });
      await d.abortUpload(h);
      await d.abortUpload(h);
      await expectStorageError(d.writeChunk(h, { index: 1, offset: 2, length: 2, body: body(Buffer.from('cd')) }), 'not_found');
      await expectStorageError(d.completeUpload(h), 'not_found');
      expect(await d.stat(k('up/aborted'))).toBeUndefined();
    });

    serverIt('reads back the bytes of an unfinished upload when the driver supports it', async () => {
      if (!d.readUpload) return;
      const h = await d.createUpload({ id: randomUUID(), key: k('up/read'), size: 4, chunkSize: 2 });
      await d.writeChunk(h, { index: 1, offset: 2, length: 2, body: body(Buffer.from('cd')) });
      await d.writeChunk(h, { index: 0, offset: 0, length: 2, body: body(Buffer.from('ab')) });
      expect((await readAll(await d.readUpload(h))).toString()).toBe('abcd');
      await d.abortUpload(h);
    });

    serverIt('handles many concurrent chunk writes to one upload', async () => {
      const chunkSize = 4096;
      const n = 16;
      const data = randomBytes(chunkSize * n);
      const h = await d.createUpload({ id: randomUUID(), key: k('up/concurrent'), size: data.length, chunkSize });
      await Promise.all(Array.from({ length: n }, (_, i) =>
        d.writeChunk(h, { index: i, offset: i * chunkSize, length: chunkSize, body: trickle(data.subarray(i * chunkSize, (i + 1) * chunkSize), 512) })));
      await d.completeUpload(h);
      expect((await readAll(await d.get(k('up/concurrent')))).equals(data)).toBe(true);
    });
    presignIt('presigns a download URL that serves the blob, forces the download name, rejects tampering and expires', async () => {
      const data = randomBytes(3000);
      await d.put(k('pre/a.bin'), body(data), { size: data.length });
      const now = Math.floor(Date.now() / 1000);
      const plain = await d.presignDownload!(k('pre/a.bin'), { expiresAt: now + 600 });
      expect(plain.expiresAt).toBeGreaterThan(now);
      let res = await fetch(plain.url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
      res = await fetch(plain.url, { headers: { range: 'bytes=10-19' } });
      expect(res.status).toBe(206);
      expect(Buffer.from(await res.arrayBuffer()).equals(data.subarray(10, 20))).toBe(true);

      // ASCII name: s3rver canonicalises presigned query values with encodeURIComponent, so the `'` and
      // `*` of an RFC 8187 filename* break its signature check (real S3 accepts them).
      const named = await d.presignDownload!(k('pre/a.bin'), { expiresAt: now + 600, downloadName: 'report 2024.txt' });
      res = await fetch(named.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="report 2024.txt"');
      await res.arrayBuffer();

      const u = new URL(named.url);
      const sig = u.searchParams.get('X-Amz-Signature');
      if (sig) {
        u.searchParams.set('X-Amz-Signature', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
        res = await fetch(u);
        expect(res.status).toBe(403);
        await res.arrayBuffer();
      }

      const short = await d.presignDownload!(k('pre/a.bin'), { expiresAt: Math.floor(Date.now() / 1000) + 1, downloadName: 'x.bin' });
      await new Promise((r) => setTimeout(r, 2200));
      res = await fetch(short.url);
      expect(res.status).toBe(403);
      await res.arrayBuffer();
    });

    /** PUTs every part like a browser (reading the ETag header), then POSTs the completion XML. */
    async function clientUpload(h: UploadHandle, data: Buffer): Promise<void> {
      const { urls, completeUrl } = await d.presignUpload!(h, { expiresAt: Math.floor(Date.now() / 1000) + 600 });
      const partSize = h.chunkSize > 0 ? h.chunkSize : h.size;
      const etags: string[] = [];
      for (let i = 0; i < urls.length; i++) {
        const res = await fetch(urls[i]!, { method: 'PUT', body: new Uint8Array(data.subarray(i * partSize, Math.min(data.length, (i + 1) * partSize))) });
        expect(res.status, await res.clone().text()).toBe(200);
        etags.push(res.headers.get('etag')!);
      }
      const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
      const res = await fetch(completeUrl!, { method: 'POST', body: xml, headers: { 'content-type': 'application/xml' } });
      expect(res.status, await res.clone().text()).toBe(200);
    }

    clientIt('takes a multipart upload from the client through presigned part URLs and verifies it on completion', async () => {
      const size = 11 * 1024 * 1024 + 123;
      const data = randomBytes(size);
      const h = await d.createUpload({ id: randomUUID(), key: k('cu/big.bin'), size, chunkSize: 1024 });
      expect(JSON.parse(JSON.stringify(h))).toEqual(h);
      expect(h.chunkSize).toBeGreaterThanOrEqual(5 * 1024 * 1024); // parts have a minimum size
      const { urls, completeUrl } = await d.presignUpload!(h, { expiresAt: Math.floor(Date.now() / 1000) + 600 });
      expect(urls.length).toBe(Math.ceil(size / h.chunkSize));
      expect(completeUrl).toBeTruthy();
      // Not completed by the client yet (and no part uploaded): nothing to publish.
      await expectStorageError(d.completeUpload(h), 'not_found');
      await clientUpload(h, data);
      const st = await d.completeUpload(h);
      expect(st.size).toBe(size);
      expect((await readAll(await d.get(k('cu/big.bin')))).equals(data)).toBe(true);
      expect((await d.completeUpload(h)).size).toBe(size); // repeated commit
    });

    clientIt('deletes a client upload whose size differs from the declared one', async () => {
      const data = randomBytes(1000);
      const h = await d.createUpload({ id: randomUUID(), key: k('cu/short.bin'), size: 2000, chunkSize: 0 });
      await clientUpload(h, data);
      await expectStorageError(d.completeUpload(h), 'size_mismatch');
      expect(await d.stat(k('cu/short.bin'))).toBeUndefined();
    });

    clientIt('aborting removes an object the client completed without the callback', async () => {
      const data = randomBytes(100);
      const h = await d.createUpload({ id: randomUUID(), key: k('cu/orphan.bin'), size: 100, chunkSize: 0 });
      await clientUpload(h, data);
      expect((await d.stat(k('cu/orphan.bin')))?.size).toBe(100);
      await d.abortUpload(h);
      await d.abortUpload(h);
      expect(await d.stat(k('cu/orphan.bin'))).toBeUndefined();
    });

    clientIt('never lets a client upload replace a blob it did not create', async () => {
      await d.put(k('cu/taken'), body(Buffer.from('original')), { size: 8 });
      const h = await d.createUpload({ id: randomUUID(), key: k('cu/taken'), size: 3, chunkSize: 0 });
      await expectStorageError(d.completeUpload(h), 'conflict');
      await d.abortUpload(h);
      expect((await readAll(await d.get(k('cu/taken')))).toString()).toBe('original');
    });
  });
}

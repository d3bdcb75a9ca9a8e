import { Readable } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type StorageDriver } from '../../src/storage/driver.ts';

export interface DriverUnderTest {
  driver: StorageDriver;
  cleanup?(): Promise<void>;
}

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
export function runDriverConformance(name: string, makeDriver: () => Promise<DriverUnderTest>): void {
  describe(`storage driver conformance: ${name}`, () => {
    let d: StorageDriver;
    let under: DriverUnderTest;
    const ns = `conf-${randomUUID().slice(0, 8)}`;
    const k = (s: string) => `${ns}/${s}`;

    beforeAll(async () => {
      under = await makeDriver();
      d = under.driver;
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

    it('assembles a chunked upload written out of order, with a re-sent chunk, and publishes it only on completion', async () => {
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

    it('refuses a chunk longer or shorter than declared', async () => {
      const h = await d.createUpload({ id: randomUUID(), key: k('up/len.bin'), size: 10, chunkSize: 0 });
      await expectStorageError(d.writeChunk(h, { index: 0, offset: 0, length: 10, body: body(Buffer.alloc(11)) }), 'size_mismatch');
      await expectStorageError(d.writeChunk(h, { index: 0, offset: 0, length: 10, body: body(Buffer.alloc(9)) }), 'size_mismatch');
      await d.abortUpload(h);
    });

    it('never replaces an existing blob when completing an upload under a taken key', async () => {
      await d.put(k('up/taken'), body(Buffer.from('original')), { size: 8 });
      const h = await d.createUpload({ id: randomUUID(), key: k('up/taken'), size: 3, chunkSize: 0 });
      await d.writeChunk(h, { index: 0, offset: 0, length: 3, body: body(Buffer.from('new')) });
      await expectStorageError(d.completeUpload(h), 'conflict');
      expect((await readAll(await d.get(k('up/taken')))).toString()).toBe('original');
      await d.abortUpload(h);
    });

    it('aborts an upload idempotently and then refuses to continue or complete it', async () => {
      const h = await d.createUpload({ id: randomUUID(), key: k('up/aborted'), size: 4, chunkSize: 2 });
      await d.writeChunk(h, { index: 0, offset: 0, length: 2, body: body(Buffer.from('ab')) });
      await d.abortUpload(h);
      await d.abortUpload(h);
      await expectStorageError(d.writeChunk(h, { index: 1, offset: 2, length: 2, body: body(Buffer.from('cd')) }), 'not_found');
      await expectStorageError(d.completeUpload(h), 'not_found');
      expect(await d.stat(k('up/aborted'))).toBeUndefined();
    });

    it('reads back the bytes of an unfinished upload when the driver supports it', async () => {
      if (!d.readUpload) return;
      const h = await d.createUpload({ id: randomUUID(), key: k('up/read'), size: 4, chunkSize: 2 });
      await d.writeChunk(h, { index: 1, offset: 2, length: 2, body: body(Buffer.from('cd')) });
      await d.writeChunk(h, { index: 0, offset: 0, length: 2, body: body(Buffer.from('ab')) });
      expect((await readAll(await d.readUpload(h))).toString()).toBe('abcd');
      await d.abortUpload(h);
    });

    it('handles many concurrent chunk writes to one upload', async () => {
      const chunkSize = 4096;
      const n = 16;
      const data = randomBytes(chunkSize * n);
      const h = await d.createUpload({ id: randomUUID(), key: k('up/concurrent'), size: data.length, chunkSize });
      await Promise.all(Array.from({ length: n }, (_, i) =>
        d.writeChunk(h, { index: i, offset: i * chunkSize, length: chunkSize, body: trickle(data.subarray(i * chunkSize, (i + 1) * chunkSize), 512) })));
      await d.completeUpload(h);
      expect((await readAll(await d.get(k('up/concurrent')))).equals(data)).toBe(true);
    });
  });
}

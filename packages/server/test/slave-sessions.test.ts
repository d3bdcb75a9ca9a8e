import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/http/errors.ts';
import { SlaveSessions } from '../src/slave/sessions.ts';
import { LocalDriver } from '../src/storage/local/local-driver.ts';
import { chunkWriteId } from '../src/util/boot-id.ts';

/** Upload sessions kept by a storage node: what a node's publish does with chunks of an earlier boot. */
describe('node upload sessions (slave side)', () => {
  let dir: string;
  let driver: LocalDriver;
  let sessions: SlaveSessions;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-slave-sessions-'));
    driver = new LocalDriver({ root: path.join(dir, 'uploads'), tempDir: path.join(dir, 'temp') });
    sessions = new SlaveSessions(path.join(dir, 'sessions'), driver);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function* bytes(b: Buffer): AsyncGenerator<Buffer> {
    yield b;
  }

  async function store(id: string, data: Buffer, index: number, chunkSize: number, writeId: string): Promise<void> {
    const s = (await sessions.load(id))!;
    const piece = data.subarray(index * chunkSize, Math.min(data.length, (index + 1) * chunkSize));
    await driver.writeChunk(sessions.handle(s), { index, offset: index * chunkSize, length: piece.length, body: bytes(piece) });
    expect(await sessions.recordChunk(id, index, writeId)).toBeDefined();
  }

  it('refuses to publish chunks stored before an OS restart, forgets them, and publishes once they are sent again', async () => {
    const data = randomBytes(2500);
    const id = 'boot-check';
    await sessions.create({ id, save_path: 'user/after-crash.bin', size: data.length, chunk_size: 1000, expires: Math.floor(Date.now() / 1000) + 600 }, undefined, Date.now());
    await store(id, data, 0, 1000, 'aaaaaaaaaaaa.earlier-boot'); // as if written before the machine rebooted
    await store(id, data, 1, 1000, chunkWriteId());
    await store(id, data, 2, 1000, chunkWriteId());

    const refused = await sessions.publish(id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe(50004);
    expect((refused as AppError).message).toMatch(/chunks 0 .*upload them again/);
    const after = (await sessions.load(id))!;
    expect(Object.keys(after.chunks).sort()).toEqual(['1', '2']);
    expect(after.published).toBeUndefined();
    expect(await driver.stat('user/after-crash.bin')).toBeUndefined();

    await store(id, data, 0, 1000, chunkWriteId());
    const done = await sessions.publish(id);
    expect(done.size).toBe(data.length);
    expect(done.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(fs.readFileSync(path.join(dir, 'uploads', 'user', 'after-crash.bin')).equals(data)).toBe(true);
  });
});

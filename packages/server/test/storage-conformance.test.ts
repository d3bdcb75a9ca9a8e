import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { LocalDriver } from '../src/storage/local/local-driver.ts';
import { S3Driver } from '../src/storage/s3/s3-driver.ts';
import { s3Config } from '../src/storage/s3/config.ts';
import { runDriverConformance, type DriverTraits, type DriverUnderTest } from './helpers/driver-conformance.ts';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type S3Emulator } from './helpers/s3.ts';

export { runDriverConformance };

let emulator: Promise<S3Emulator> | undefined;
const s3 = () => (emulator ??= startS3());
afterAll(async () => {
  if (emulator) await (await emulator).stop();
});

/** An S3 driver on a fresh bucket of the shared emulator, relaying uploads or taking them from the client. */
async function s3Driver(relay: boolean): Promise<DriverUnderTest> {
  const emu = await s3();
  const bucket = await emu.createBucket();
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-s3stage-'));
  const cfg = s3Config({
    id: 1, name: 's3', type: 's3', server: emu.endpoint, bucket_name: bucket, is_private: 1, access_key: S3_ACCESS_KEY,
    secret_key: S3_SECRET_KEY, max_size: 0, dir_name_rule: '', file_name_rule: '', settings: '{}', node_id: null, created_at: 0, updated_at: 0,
  }, { s3_path_style: true, relay });
  return {
    driver: new S3Driver({ ...cfg, stagingDir: staging }),
    cleanup: async () => fs.rmSync(staging, { recursive: true, force: true }),
  };
}

/**
 * Every storage driver runs the same suite. Another driver joins by adding a factory here
 * (e.g. the remote-node driver: `['remote', () => remoteDriver()]`).
 */
export const driverFactories: [string, () => Promise<DriverUnderTest>, DriverTraits?][] = [
  ['local', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-local-'));
    return {
      driver: new LocalDriver({ root: path.join(dir, 'uploads'), tempDir: path.join(dir, 'temp') }),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }],
  ['s3 (relay uploads)', () => s3Driver(true), { serverUploads: true, clientUploads: false, presign: true }],
  ['s3 (client uploads)', () => s3Driver(false), { serverUploads: false, clientUploads: true, presign: true }],
];

for (const [name, factory, traits] of driverFactories) runDriverConformance(name, factory, traits);

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { LocalDriver } from '../src/storage/local/local-driver.ts';
import { S3Driver } from '../src/storage/s3/s3-driver.ts';
import { s3Config } from '../src/storage/s3/config.ts';
import { randomBytes } from 'node:crypto';
import { RemoteDriver } from '../src/storage/remote/remote-driver.ts';
import { NodeClient } from '../src/storage/remote/node-client.ts';
import { createLogger } from '../src/util/logger.ts';
import { startChild } from './helpers/child-server.ts';
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
 * A remote driver talking to a real node process (slave mode) on loopback. The suite drives the
 * driver's chunk API, which is the master's relay path; the driver itself reports
 * serverSideUpload=false because browsers upload to the node directly, so the view here says true.
 */
async function remoteDriver(): Promise<DriverUnderTest> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-node-'));
  const secret = randomBytes(32).toString('hex');
  const node = await startChild(dir, { CR_CONF_System_Mode: 'slave', CR_CONF_Slave_Secret: secret, CR_CONF_Database_DBFile: path.join(dir, 'node.db') });
  const client = new NodeClient({ id: 1, server: node.url, secret }, { siteUrl: 'http://127.0.0.1:1', siteId: 'conformance' });
  const driver = RemoteDriver.forClient(client, createLogger('error'));
  const relayed = Object.create(driver, { capabilities: { value: { ...driver.capabilities, serverSideUpload: true } } }) as RemoteDriver;
  return {
    driver: relayed,
    cleanup: async () => {
      await node.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
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
  // Driven the way the master relays chunks (writeChunk); browsers' direct uploads are covered by remote-node.test.ts.
  ['remote node', () => remoteDriver(), { serverUploads: true, clientUploads: false, presign: true }],
];

for (const [name, factory, traits] of driverFactories) runDriverConformance(name, factory, traits);

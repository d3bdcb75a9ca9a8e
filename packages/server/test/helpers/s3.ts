import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * A real S3 emulator for tests: @20minutes/s3rver 4.0.4 on 127.0.0.1 with a random port and its own
 * temp directory. SigV4 signatures and presigned-URL expiry are really checked (our clients use the
 * path-slash workaround of STACK.md, see storage/s3/s3-driver.ts). Buckets get a permissive CORS rule
 * so browser-style uploads (preflight + PUT + reading ETag) work.
 *
 *   const s3 = await startS3();            // in beforeAll
 *   const bucket = await s3.createBucket(); // fresh bucket per suite
 *   ... s3.endpoint, S3_ACCESS_KEY, S3_SECRET_KEY ...
 *   await s3.stop();                        // in afterAll
 */
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';
export const S3_REGION = 'us-east-1';

export const CORS_XML = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod><AllowedMethod>DELETE</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export interface S3Emulator {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  /** Directory the emulator stores objects in. */
  dir: string;
  /** An SDK client for the emulator (path style, WHEN_REQUIRED checksums, slash workaround). */
  client: S3Client;
  /** Creates a bucket (with the CORS rule) and returns its name. */
  createBucket(name?: string): Promise<string>;
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  configureBuckets(): Promise<void>;
  _configureBuckets: { name: string; configs: string[] }[];
}

let seq = 0;

export async function startS3(): Promise<S3Emulator> {
  const require = createRequire(import.meta.url);
  const S3rver = require('@20minutes/s3rver') as new (opts: Record<string, unknown>) => S3rverInstance;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, resetOnClose: false, vhostBuckets: false });
  const addr = await server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const client = s3TestClient(endpoint);
  return {
    endpoint,
    dir,
    client,
    async createBucket(name) {
      const bucket = name ?? `b${process.pid}-${Date.now().toString(36)}-${seq++}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      // CORS is set through s3rver's own provisioning (PutBucketCors needs Content-MD5 the SDK omits).
      server._configureBuckets = [{ name: bucket, configs: [CORS_XML] }];
      await server.configureBuckets();
      return bucket;
    },
    async stop() {
      client.destroy();
      await server.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An SDK client configured like the S3 driver's (for assertions straight against the bucket). */
export function s3TestClient(endpoint: string): S3Client {
  const client = new S3Client({
    region: S3_REGION, endpoint, forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  client.middlewareStack.add((next) => async (args) => {
    const req = args.request as { path?: string };
    if (typeof req.path === 'string' && /^\/[^/]+\/$/.test(req.path)) req.path = req.path.slice(0, -1);
    return next(args);
  }, { step: 'build', name: 'crBucketPathSlash' });
  return client;
}

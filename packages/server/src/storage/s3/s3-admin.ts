import { createHash, randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from './config.ts';
import { makeClient, sdk } from './s3-driver.ts';

/**
 * Admin-side calls against an S3-family bucket with unsaved policy form values: the connection test
 * (write, read back and delete a probe object) and the bucket CORS rule the web uploader needs.
 * Failures are `S3AdminError`s whose message is meant for the administrator; the secret key is
 * never part of it (only the provider's error code/message, the bucket and the endpoint).
 */
export class S3AdminError extends Error {}

/** Connect/request timeout of admin calls: a wrong endpoint must not hang the dashboard. */
export const ADMIN_TIMEOUT_MS = 10_000;

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const DENIED = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'InvalidToken', 'ExpiredToken', 'AllAccessDisabled']);
const WRONG_REGION = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException', 'Redirect', 'TemporaryRedirect']);

/** A transport failure (refused, DNS, TLS, timeout) with its code and address, or undefined. */
function networkReason(e: unknown): string | undefined {
  const err = e as { code?: string; name?: string; message?: string; errors?: unknown[]; cause?: unknown };
  if (!err || typeof err !== 'object') return undefined;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `timed out after ${ADMIN_TIMEOUT_MS / 1000} s`;
  if (err.code && NETWORK_CODES.has(err.code)) return err.message || err.code;
  // Node's happy-eyeballs connect reports an AggregateError with one error per address tried.
  if (Array.isArray(err.errors) && err.errors.length) return err.errors.map((x) => networkReason(x) ?? String((x as Error)?.message ?? x)).join('; ');
  if (err.cause) return networkReason(err.cause);
  return undefined;
}

/** "access denied (InvalidAccessKeyId: …)", "endpoint unreachable (connect ECONNREFUSED …)" and the like, from an SDK error. */
export function describeS3Error(e: unknown): string {
  const net = networkReason(e);
  if (net) return `endpoint unreachable (${net})`;
  const err = e as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err?.Code ?? err?.name ?? 'Error';
  const status = err?.$metadata?.httpStatusCode;
  const msg = err?.message && err.message !== 'UnknownError' && err.message !== name ? `: ${err.message}` : '';
  const detail = `${name}${msg}${status ? `, HTTP ${status}` : ''}`;
  if (DENIED.has(name) || status === 403) return `access denied (${detail})`;
  if (name === 'NoSuchBucket') return `bucket does not exist (${detail})`;
  if (WRONG_REGION.has(name) || status === 301 || status === 307) return `wrong region or endpoint (${detail})`;
  return `request failed (${detail})`;
}

function where(cfg: S3Config): string {
  return `bucket "${cfg.bucket}" at ${cfg.serverEndpoint ? `endpoint ${cfg.serverEndpoint}` : `the AWS endpoint of region ${cfg.region}`}`;
}

function adminClient(cfg: S3Config): S3Client {
  return makeClient(cfg, cfg.serverEndpoint, { maxAttempts: 1, timeoutMs: ADMIN_TIMEOUT_MS });
}

async function step<T>(cfg: S3Config, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof S3AdminError) throw e;
    throw new S3AdminError(`S3: ${describeS3Error(e)} while ${what} ${where(cfg)}`, { cause: e });
  }
}

/**
 * Writes a small probe object under `prefix`, reads it back, deletes it. Catches wrong credentials,
 * a missing bucket, a wrong region/endpoint, missing write/read/delete permission and an
 * unreachable endpoint. Returns a one-line summary.
 */
export async function probeS3(cfg: S3Config, prefix: string): Promise<string> {
  const client = adminClient(cfg);
  const key = `${prefix}.cloudreve-probe-${randomUUID()}`;
  const body = `cloudreve connection test ${new Date().toISOString()}`;
  const S3 = sdk();
  const signal = () => ({ abortSignal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
  try {
    await step(cfg, 'writing the probe object to', () => client.send(new S3.PutObjectCommand({
      Bucket: cfg.bucket, Key: key, Body: body, ContentLength: Buffer.byteLength(body), ContentType: 'text/plain',
    }), signal()));
    const read = await step(cfg, 'reading the probe object back from', async () => {
      const out = await client.send(new S3.GetObjectCommand({ Bucket: cfg.bucket, Key: key }), signal());
      return out.Body ? await out.Body.transformToString() : '';
    });
    if (read !== body) throw new S3AdminError(`S3: the probe object read back from ${where(cfg)} differs from what was written`);
    await step(cfg, 'deleting the probe object from', () => client.send(new S3.DeleteObjectCommand({ Bucket: cfg.bucket, Key: key }), signal()));
  } finally {
    client.destroy();
  }
  return `Wrote, read back and deleted a probe object in ${where(cfg)}`;
}

/** What the web uploader needs: PUT parts, POST the completion, GET/HEAD downloads, read ETag. */
export function corsRule(origins: string[]) {
  return {
    AllowedOrigins: origins, AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3600,
  };
}

/** Replaces the bucket's CORS configuration with one rule for `origins`. */
export async function putBucketCors(cfg: S3Config, origins: string[]): Promise<void> {
  const client = adminClient(cfg);
  // Several stores (OSS, COS, older MinIO) insist on Content-MD5 for this call; the SDK sends a CRC.
  client.middlewareStack.add((next) => async (args) => {
    const req = args.request as { headers?: Record<string, string>; body?: unknown };
    if (req.headers && (typeof req.body === 'string' || Buffer.isBuffer(req.body) || req.body instanceof Uint8Array)) {
      req.headers['content-md5'] = createHash('md5').update(req.body as string | Uint8Array).digest('base64');
    }
    return next(args);
  }, { step: 'build', name: 'crContentMd5' });
  try {
    await step(cfg, 'setting the CORS rule on', () => client.send(new (sdk().PutBucketCorsCommand)({
      Bucket: cfg.bucket, CORSConfiguration: { CORSRules: [corsRule(origins)] },
    }), { abortSignal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) }));
  } finally {
    client.destroy();
  }
}

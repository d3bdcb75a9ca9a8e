import type { PolicyRow, PolicySettings } from '../policies.ts';

/** Policy types served by the S3 driver (S3 itself and the providers' S3-compatible APIs). */
export const S3_FAMILY = ['s3', 'ks3', 'cos', 'oss', 'obs'] as const;
export type S3Type = (typeof S3_FAMILY)[number];
export const isS3Family = (t: string): t is S3Type => (S3_FAMILY as readonly string[]).includes(t);

/** Everything the S3 driver needs from a policy row, with per-provider defaults applied. */
export interface S3Config {
  type: S3Type;
  bucket: string;
  /** Endpoint the client (browser) is sent to by presigned URLs; undefined = AWS default for the region. */
  endpoint?: string;
  /** Endpoint the server itself talks to (`settings.server_side_endpoint`), default `endpoint`. */
  serverEndpoint?: string;
  region: string;
  forcePathStyle: boolean;
  accessKey: string;
  secretKey: string;
  /** Public-read bucket: download URLs without a signature unless a download name must be forced. */
  isPrivate: boolean;
  /** CDN / custom domain replacing the scheme+host(+path prefix) of download URLs (`custom_proxy` + `proxy_server`). */
  cdnBase?: string;
  /** Upload bytes go through this server (`relay`); the client never talks to the bucket. */
  relay: boolean;
  /** Bytes per presigned part (`chunk_size`), clamped to S3's 5 MiB minimum. */
  chunkSize: number;
  /** Keys per DeleteObjects call (`s3_delete_batch_size`, S3 maximum 1000). */
  deleteBatch: number;
}

export const MIN_PART = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
export const DEFAULT_PART = 25 * 1024 * 1024;
/** S3 refuses presigned URLs valid for longer than 7 days. */
export const MAX_PRESIGN_TTL = 7 * 24 * 3600;

/** "oss-cn-hangzhou.aliyuncs.com" → "https://oss-cn-hangzhou.aliyuncs.com"; trailing slashes removed. */
export function normalizeEndpoint(raw: string): string | undefined {
  const s = raw.trim().replace(/\/+$/, '');
  if (!s) return undefined;
  return /^https?:\/\//i.test(s) ? s : `https://${s}`;
}

/**
 * Provider quirks (all through their S3-compatible APIs, virtual-hosted style unless the policy asks
 * for path style):
 * - cos: Cloudreve stores the bucket URL (`https://<bucket>.cos.<region>.myqcloud.com`) as `server`;
 *   the S3 endpoint is the bucket-less host and the region is taken from it.
 * - oss: endpoint `oss-<region>.aliyuncs.com`; SigV4 region is the part after `oss-`.
 * - obs: endpoint `obs.<region>.myhuaweicloud.com`.
 * - ks3: endpoint `ks3-<region>.ksyuncs.com`.
 * - s3 (AWS, MinIO, R2, B2, …): `server` empty = AWS; path style via `s3_path_style`.
 */
export function s3Config(p: PolicyRow, settings: PolicySettings): S3Config {
  if (!isS3Family(p.type)) throw new Error(`not an S3-family policy type: ${p.type}`);
  const type = p.type;
  let endpoint = normalizeEndpoint(p.server ?? '');
  let region = typeof settings.region === 'string' && settings.region ? settings.region : '';
  let bucket = p.bucket_name;
  if (type === 'cos' && endpoint) {
    const u = new URL(endpoint);
    const m = /^(?:(.+)\.)?cos\.([a-z0-9-]+)\.myqcloud\.com$/i.exec(u.hostname);
    if (m) {
      if (m[1] && !bucket) bucket = m[1];
      region ||= m[2]!;
      endpoint = `${u.protocol}//cos.${m[2]}.myqcloud.com`;
    }
  }
  if (!region && endpoint) {
    const host = new URL(endpoint).hostname;
    const m = type === 'oss' ? /^oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/i.exec(host)
      : type === 'obs' ? /^obs\.([a-z0-9-]+)\.myhuaweicloud\.com$/i.exec(host)
        : type === 'ks3' ? /^ks3-([a-z0-9-]+?)(?:-internal)?\.ksyuncs\.com$/i.exec(host)
          : /^s3[.-]([a-z0-9-]+)\.amazonaws\.com$/i.exec(host);
    if (m) region = m[1]!;
  }
  const chunk = Number(settings.chunk_size ?? DEFAULT_PART);
  const proxyServer = typeof settings.proxy_server === 'string' ? normalizeEndpoint(settings.proxy_server) : undefined;
  return {
    type,
    bucket,
    endpoint,
    serverEndpoint: typeof settings.server_side_endpoint === 'string' && settings.server_side_endpoint
      ? normalizeEndpoint(settings.server_side_endpoint) : endpoint,
    region: region || 'us-east-1',
    forcePathStyle: settings.s3_path_style === true,
    accessKey: p.access_key,
    secretKey: p.secret_key,
    isPrivate: Number(p.is_private) !== 0,
    cdnBase: settings.custom_proxy === true && proxyServer ? proxyServer : undefined,
    relay: settings.relay === true,
    chunkSize: Number.isFinite(chunk) && chunk > 0 ? Math.max(MIN_PART, Math.floor(chunk)) : DEFAULT_PART,
    deleteBatch: Math.min(1000, Math.max(1, Number(settings.s3_delete_batch_size ?? 1000) || 1000)),
  };
}

import { createHash } from 'node:crypto';
import type { Ctx } from '../services/context.ts';
import { signPath } from '../services/signing.ts';
import { HashType } from '../util/hashid.ts';
import { transferSettings } from './settings.ts';

export const CONTENT_PREFIX = '/api/v4/file/content';
export const ARCHIVE_PREFIX = '/api/v4/file/archive';

export interface EntityUrlRequest {
  /** Entity id; 0 = an empty file (served as zero bytes). */
  entityId: number;
  /** Display name: becomes the last path segment and the download name. */
  name: string;
  /** Bytes per second, 0 = unlimited (signed, so it cannot be changed by the client). */
  speed: number;
  download: boolean;
  /** A thumbnail-mode URL (`thumb=true`). */
  thumb?: boolean;
  /** Origin to build the URL with (siteURL matching the request, or the primary one). */
  siteUrl: string;
  noCache?: boolean;
  /** Lifetime in seconds (default: setting `entity_url_default_ttl`). */
  ttlSeconds?: number;
}

export interface SignedUrl { url: string; /** Epoch ms. */ expiresAt: number }

/** The path that is signed: the decoded content path (contract 30 §2.2). */
export const contentPath = (entityHash: string, speed: number | string, name: string) => `${CONTENT_PREFIX}/${entityHash}/${speed}/${name}`;

/**
 * A signed, expiring URL of the content route for one entity (contract 30 §2.1 "internal" URLs):
 * `<site>/api/v4/file/content/<entityHashId>/<speed>/<name>?download=true&sign=…` (query keys
 * sorted). URLs are cached in the KV for `ttl − entity_url_cache_margin` seconds and handed out
 * again with their original expiry.
 */
export async function entityUrl(ctx: Ctx, req: EntityUrlRequest): Promise<SignedUrl> {
  const ts = transferSettings(ctx);
  const ttl = req.ttlSeconds ?? ts.entityUrlTtl;
  const generation = req.noCache ? 0 : (await ctx.kv.get<number>(URL_CACHE_GENERATION)) ?? 0;
  const cacheKey = `entity_url_${generation}_${req.entityId}_${req.speed}_${req.download ? 1 : 0}_${req.thumb ? 1 : 0}_${createHash('sha1').update(`${req.siteUrl}\n${req.name}`).digest('hex')}`;
  if (!req.noCache) {
    const hit = await ctx.kv.get<SignedUrl>(cacheKey);
    if (hit && hit.expiresAt - ctx.now() > 60_000) return hit;
  }
  const hash = ctx.hashids.encode(req.entityId, HashType.Entity);
  const expires = Math.floor(ctx.now() / 1000) + ttl;
  const sign = signPath(ctx, contentPath(hash, req.speed, req.name), expires);
  const query: [string, string][] = [];
  if (req.download) query.push(['download', 'true']);
  query.push(['sign', sign]);
  if (req.thumb) query.push(['thumb', 'true']);
  const qs = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  const out: SignedUrl = { url: `${req.siteUrl}${CONTENT_PREFIX}/${hash}/${req.speed}/${encodeURIComponent(req.name)}?${qs}`, expiresAt: expires * 1000 };
  const cacheFor = ttl - ts.entityUrlCacheMargin;
  if (!req.noCache && cacheFor > 0) await ctx.kv.set(cacheKey, out, cacheFor);
  return out;
}

/** KV key of the entity-URL cache generation: bumping it orphans every cached URL. */
const URL_CACHE_GENERATION = 'entity_url_generation';

/** Drops every cached entity URL (policy changes, admin tool); new requests sign afresh. */
export async function clearEntityUrlCache(ctx: Ctx): Promise<void> {
  await ctx.kv.set(URL_CACHE_GENERATION, Date.now(), 0);
}

/** Signed URL of an archive session (contract 30 §2.4). */
export function archiveUrl(ctx: Ctx, siteUrl: string, sessionId: string, expiresAtMs: number): SignedUrl {
  const expires = Math.floor(expiresAtMs / 1000);
  const path = `${ARCHIVE_PREFIX}/${sessionId}/archive.zip`;
  return { url: `${siteUrl}${path}?sign=${encodeURIComponent(signPath(ctx, path, expires))}`, expiresAt: expires * 1000 };
}

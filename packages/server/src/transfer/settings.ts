import type { Ctx } from '../services/context.ts';

/** Transfer-related settings with their defaults (also seeded in setting-defaults.ts). */
export const transferSettings = (ctx: Ctx) => ({
  /** Upload session lifetime, seconds. */
  uploadSessionTimeout: Math.max(60, ctx.settings.int('upload_session_timeout', 86400)),
  /** Largest body of PUT /file/content, bytes. */
  maxEditSize: ctx.settings.int('maxEditSize', 52428800),
  /** Lifetime of generated download URLs, seconds. */
  entityUrlTtl: Math.max(60, ctx.settings.int('entity_url_default_ttl', 3600)),
  /** A cached URL is reused until `ttl - margin` seconds after it was made. */
  entityUrlCacheMargin: Math.max(0, ctx.settings.int('entity_url_cache_margin', 600)),
  archiveTimeout: Math.max(60, ctx.settings.int('archive_timeout', 600)),
  publicMaxAge: Math.max(0, ctx.settings.int('public_resource_maxage', 86400)),
  thumbSuffix: ctx.settings.get('thumb_entity_suffix', '._thumb') || '._thumb',
  mimeMapping: ctx.settings.json<Record<string, string>>('mime_mapping', {}),
});

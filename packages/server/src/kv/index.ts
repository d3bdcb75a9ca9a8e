import type { Config } from '../config/config.ts';
import type { KV } from './kv.ts';
import { MemoryKV } from './memory.ts';

export type { KV } from './kv.ts';

/** Redis when `[Redis] Server` is set, otherwise in-process memory. */
export async function openKV(cfg: Config['redis'], namespace?: string): Promise<KV> {
  if (!cfg.server) return new MemoryKV();
  // Loaded only when configured: the embedded default should not pay for the Redis client.
  const { RedisKV } = await import('./redis.ts');
  return RedisKV.connect({ server: cfg.server, user: cfg.user, password: cfg.password, db: cfg.db, namespace });
}

import type { Config } from '../config/config.ts';
import type { KV } from './kv.ts';
import { MemoryKV } from './memory.ts';
import { RedisKV } from './redis.ts';

export type { KV } from './kv.ts';

/** Redis when `[Redis] Server` is set, otherwise in-process memory. */
export async function openKV(cfg: Config['redis'], namespace?: string): Promise<KV> {
  if (!cfg.server) return new MemoryKV();
  return RedisKV.connect({ server: cfg.server, user: cfg.user, password: cfg.password, db: cfg.db, namespace });
}

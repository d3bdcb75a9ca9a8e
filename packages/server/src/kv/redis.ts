import type { Redis } from 'ioredis';
import type { KV } from './kv.ts';

/** Redis-backed KV for multi-instance deployments. `namespace` isolates tenants and test runs. */
export class RedisKV implements KV {
  private constructor(private readonly redis: Redis, private readonly ns: string) {}

  static async connect(opts: { server: string; user?: string; password?: string; db?: number; namespace?: string }): Promise<RedisKV> {
    const url = /^rediss?:\/\//.test(opts.server) ? opts.server : `redis://${opts.server}`;
    // Loaded here, not at module load: only Redis deployments pay for the client.
    const { Redis: RedisClient } = await import('ioredis');
    const redis = new RedisClient(url, {
      username: opts.user || undefined,
      password: opts.password || undefined,
      db: opts.db ?? 0,
      lazyConnect: true,
      maxRetriesPerRequest: 2,
    });
    redis.on('error', () => undefined); // surfaced through command rejections instead
    try {
      await redis.connect();
    } catch (e) {
      redis.disconnect(); // stop ioredis from reconnecting in the background forever
      throw e;
    }
    return new RedisKV(redis, opts.namespace ?? 'cr:');
  }

  private k(key: string): string {
    return this.ns + key;
  }

  /** Redis rejects PX 0, so sub-millisecond TTLs round up to 1 ms. */
  private static px(ttlSeconds: number): number {
    return Math.max(1, Math.round(ttlSeconds * 1000));
  }

  async get<T>(key: string): Promise<T | undefined> {
    const v = await this.redis.get(this.k(key));
    return v === null ? undefined : (JSON.parse(v) as T);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    const v = JSON.stringify(value);
    if (ttlSeconds > 0) await this.redis.set(this.k(key), v, 'PX', RedisKV.px(ttlSeconds));
    else await this.redis.set(this.k(key), v);
  }

  async setIfAbsent(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    const v = JSON.stringify(value);
    const r = ttlSeconds > 0
      ? await this.redis.set(this.k(key), v, 'PX', RedisKV.px(ttlSeconds), 'NX')
      : await this.redis.set(this.k(key), v, 'NX');
    return r === 'OK';
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length) await this.redis.del(...keys.map((k) => this.k(k)));
  }

  async take<T>(key: string): Promise<T | undefined> {
    const v = await this.redis.getdel(this.k(key));
    return v === null ? undefined : (JSON.parse(v) as T);
  }

  async incr(key: string, ttlSeconds: number): Promise<number> {
    const k = this.k(key);
    if (ttlSeconds <= 0) return this.redis.incr(k);
    // Create-with-TTL and increment in one transaction: a crash between two separate commands
    // would leave a counter that never expires.
    const res = await this.redis.multi().set(k, '0', 'PX', RedisKV.px(ttlSeconds), 'NX').incr(k).exec();
    const [err, n] = res![1]!;
    if (err) throw err;
    return n as number;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

import { Redis } from 'ioredis';
import type { KV } from './kv.ts';

/** Redis-backed KV for multi-instance deployments. `namespace` isolates tenants and test runs. */
export class RedisKV implements KV {
  private constructor(private readonly redis: Redis, private readonly ns: string) {}

  static async connect(opts: { server: string; user?: string; password?: string; db?: number; namespace?: string }): Promise<RedisKV> {
    const url = /^rediss?:\/\//.test(opts.server) ? opts.server : `redis://${opts.server}`;
    const redis = new Redis(url, {
      username: opts.user || undefined,
      password: opts.password || undefined,
      db: opts.db ?? 0,
      lazyConnect: true,
      maxRetriesPerRequest: 2,
    });
    redis.on('error', () => undefined); // surfaced through command rejections instead
    await redis.connect();
    return new RedisKV(redis, opts.namespace ?? 'cr:');
  }

  private k(key: string): string {
    return this.ns + key;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const v = await this.redis.get(this.k(key));
    return v === null ? undefined : (JSON.parse(v) as T);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    const v = JSON.stringify(value);
    if (ttlSeconds > 0) await this.redis.set(this.k(key), v, 'PX', Math.round(ttlSeconds * 1000));
    else await this.redis.set(this.k(key), v);
  }

  async setIfAbsent(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    const v = JSON.stringify(value);
    const r = ttlSeconds > 0
      ? await this.redis.set(this.k(key), v, 'PX', Math.round(ttlSeconds * 1000), 'NX')
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
    const [[, n]] = (await this.redis.multi().incr(k).exec()) as [[Error | null, number]];
    if (n === 1 && ttlSeconds > 0) await this.redis.pexpire(k, Math.round(ttlSeconds * 1000));
    return n;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

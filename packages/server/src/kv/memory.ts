import type { KV } from './kv.ts';

interface Entry { value: string; expiresAt: number }

/** In-process KV (the embedded default). Values are JSON-serialized so both backends behave alike. */
export class MemoryKV implements KV {
  private readonly map = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  private live(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt && e.expiresAt <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.map) if (e.expiresAt && e.expiresAt <= now) this.map.delete(k);
  }

  private store(key: string, value: unknown, ttlSeconds: number): void {
    this.map.set(key, { value: JSON.stringify(value), expiresAt: ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : 0 });
  }

  // Every method below finishes its read-modify-write before its first await point, so calls
  // racing in one process cannot interleave (take is one-time, setIfAbsent has one winner).
  async get<T>(key: string): Promise<T | undefined> {
    const e = this.live(key);
    return e ? (JSON.parse(e.value) as T) : undefined;
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.store(key, value, ttlSeconds);
  }

  async setIfAbsent(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.store(key, value, ttlSeconds);
    return true;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const k of keys) this.map.delete(k);
  }

  async take<T>(key: string): Promise<T | undefined> {
    const e = this.live(key);
    this.map.delete(key);
    return e ? (JSON.parse(e.value) as T) : undefined;
  }

  async incr(key: string, ttlSeconds: number): Promise<number> {
    const e = this.live(key);
    const n = (e ? Number(JSON.parse(e.value)) : 0) + 1;
    this.map.set(key, { value: JSON.stringify(n), expiresAt: e ? e.expiresAt : ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : 0 });
    return n;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.map.clear();
  }
}

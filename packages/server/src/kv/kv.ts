/** Short-lived shared state: sessions, one-time secrets, rate-limit counters, caches. */
export interface KV {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** ttlSeconds <= 0 keeps the value until deleted. */
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Sets only when absent; true when this call stored the value. */
  setIfAbsent(key: string, value: unknown, ttlSeconds: number): Promise<boolean>;
  delete(...keys: string[]): Promise<void>;
  /** Atomically reads and deletes (one-time tokens). */
  take<T = unknown>(key: string): Promise<T | undefined>;
  /** Atomically increments a counter; the TTL is set when the counter is created. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  close(): Promise<void>;
}

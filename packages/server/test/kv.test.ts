import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { KV } from '../src/kv/kv.ts';
import { MemoryKV } from '../src/kv/memory.ts';
import { RedisKV } from '../src/kv/redis.ts';
import { backends } from './helpers/backends.ts';

interface Flavour {
  name: string;
  skip?: string;
  /** A KV instance; instances with different namespaces must not see each other's keys. */
  open(namespace: string): Promise<KV>;
  cleanup?(): Promise<void>;
}

const run = `kvtest_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const redisBackend = (await backends()).find((b) => b.redis);

const flavours: Flavour[] = [
  {
    name: 'MemoryKV',
    // One process-local map per instance: a "namespace" is simply another instance.
    open: async () => new MemoryKV(),
  },
  {
    name: 'RedisKV',
    skip: !redisBackend ? 'Redis excluded by CR_TEST_BACKENDS' : redisBackend.skip,
    open: (ns) => RedisKV.connect({ server: '127.0.0.1:6379', namespace: `${run}:${ns}:` }),
    async cleanup() {
      const r = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
      await r.connect();
      const keys = await r.keys(`${run}:*`);
      if (keys.length) await r.del(...keys);
      await r.quit();
    },
  },
];

for (const f of flavours) {
  describe.skipIf(!!f.skip)(`KV conformance: ${f.name}${f.skip ? ` (skipped: ${f.skip})` : ''}`, () => {
    const opened: KV[] = [];
    const open = async (ns = 'a') => {
      const kv = await f.open(ns);
      opened.push(kv);
      return kv;
    };
    afterAll(async () => {
      for (const kv of opened) await kv.close();
      await f.cleanup?.();
    });

    it('round-trips JSON values and reports missing keys as undefined', async () => {
      const kv = await open();
      expect(await kv.get('missing')).toBeUndefined();
      const values: unknown[] = [{ a: 1, nested: { list: [1, 'two', null] } }, 'text ✓ 中文', 42, 0, false, [], ''];
      for (const [i, v] of values.entries()) {
        await kv.set(`v${i}`, v, 60);
        expect(await kv.get(`v${i}`)).toEqual(v);
      }
      await kv.set('v0', 'replaced', 60);
      expect(await kv.get('v0')).toBe('replaced');
    });

    it('expires values after their TTL; ttl <= 0 keeps them', async () => {
      const kv = await open();
      await kv.set('short', 1, 0.15);
      await kv.set('forever', 2, 0);
      expect(await kv.get('short')).toBe(1);
      await sleep(300);
      expect(await kv.get('short')).toBeUndefined();
      expect(await kv.get('forever')).toBe(2);
      await kv.delete('forever');
    });

    it('setIfAbsent stores only once, and again after expiry', async () => {
      const kv = await open();
      expect(await kv.setIfAbsent('once', 'first', 0.15)).toBe(true);
      expect(await kv.setIfAbsent('once', 'second', 60)).toBe(false);
      expect(await kv.get('once')).toBe('first');
      await sleep(300);
      expect(await kv.setIfAbsent('once', 'third', 60)).toBe(true);
      expect(await kv.get('once')).toBe('third');
    });

    it('setIfAbsent has exactly one winner among concurrent callers', async () => {
      // Redis: two connections on one keyspace race; memory: one process-local store.
      const kvs = f.name === 'RedisKV' ? [await open('race'), await open('race')] : [await open()];
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => kvs[i % kvs.length]!.setIfAbsent('race', i, 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await kvs[0]!.get('race')).toBe(results.indexOf(true));
    });

    it('take returns a value once, even to concurrent callers', async () => {
      const kv = await open();
      await kv.set('ticket', { secret: 'abc' }, 60);
      expect(await kv.take('ticket')).toEqual({ secret: 'abc' });
      expect(await kv.take('ticket')).toBeUndefined();
      expect(await kv.get('ticket')).toBeUndefined();

      await kv.set('contended', 'prize', 60);
      const got = await Promise.all(Array.from({ length: 25 }, () => kv.take('contended')));
      expect(got.filter((v) => v !== undefined)).toEqual(['prize']);
      expect(await kv.take('never-set')).toBeUndefined();
    });

    it('incr counts atomically under concurrency', async () => {
      const kv = await open();
      expect(await kv.incr('seq', 60)).toBe(1);
      expect(await kv.incr('seq', 60)).toBe(2);
      const results = await Promise.all(Array.from({ length: 50 }, () => kv.incr('burst', 60)));
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await kv.get('burst')).toBe(50);
      expect(await kv.incr('no-ttl', 0)).toBe(1);
      await kv.delete('no-ttl');
    });

    it('incr sets the TTL when the counter is created and does not extend it', async () => {
      const kv = await open();
      expect(await kv.incr('window', 0.3)).toBe(1);
      await sleep(150);
      expect(await kv.incr('window', 60)).toBe(2);
      await sleep(250);
      expect(await kv.incr('window', 60)).toBe(1);
    });

    it('delete removes several keys and ignores missing ones', async () => {
      const kv = await open();
      await kv.set('d1', 1, 60);
      await kv.set('d2', 2, 60);
      await kv.delete('d1', 'd2', 'd3');
      await kv.delete();
      expect(await kv.get('d1')).toBeUndefined();
      expect(await kv.get('d2')).toBeUndefined();
    });

    it('namespaces isolate', async () => {
      const a = await open('ns-a');
      const b = await open('ns-b');
      await a.set('shared', 'A', 60);
      await b.set('shared', 'B', 60);
      expect(await a.get('shared')).toBe('A');
      expect(await b.get('shared')).toBe('B');
      expect(await a.incr('n', 60)).toBe(1);
      expect(await b.incr('n', 60)).toBe(1);
      expect(await b.take('shared')).toBe('B');
      expect(await a.get('shared')).toBe('A');
      await a.delete('shared');
      expect(await b.setIfAbsent('shared', 'B2', 60)).toBe(true);
    });
  });
}

describe('RedisKV connection failure', () => {
  it('rejects and does not keep reconnecting in the background', async () => {
    const start = Date.now();
    await expect(RedisKV.connect({ server: '127.0.0.1:1' })).rejects.toThrow();
    expect(Date.now() - start).toBeLessThan(5000);
  });
});

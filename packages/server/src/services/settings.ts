import type { Db } from '../db/connect.ts';
import { defaultSettings } from './setting-defaults.ts';

/**
 * Typed access to the `settings` table. All values are cached in process; writes update the
 * cache, and with several instances the cache is refreshed every `refreshMs`. Values from the
 * config file's `[OptionOverwrite]` (and `CR_SETTING_*`) take precedence over the table.
 */
export class Settings {
  private cache = new Map<string, string>();
  private readonly overrides: ReadonlyMap<string, string>;
  private loadedAt = 0;

  constructor(private readonly db: Db, private readonly refreshMs = 5_000, overrides: Record<string, string> = {}) {
    this.overrides = new Map(Object.entries(overrides));
  }

  /** Inserts missing default keys (never overwrites). */
  async seed(): Promise<void> {
    const existing = new Set((await this.db.kysely.selectFrom('settings').select('name').execute()).map((r) => r.name));
    const rows = Object.entries(defaultSettings())
      .filter(([name]) => !existing.has(name))
      .map(([name, value]) => ({ name, value }));
    for (let i = 0; i < rows.length; i += 100) {
      await this.db.kysely.insertInto('settings').values(rows.slice(i, i + 100)).execute();
    }
    await this.reload();
  }

  async reload(): Promise<void> {
    const rows = await this.db.kysely.selectFrom('settings').select(['name', 'value']).execute();
    this.cache = new Map(rows.map((r) => [r.name, r.value]));
    this.loadedAt = Date.now();
  }

  private maybeRefresh(): void {
    if (Date.now() - this.loadedAt > this.refreshMs) {
      this.loadedAt = Date.now();
      void this.reload().catch(() => undefined);
    }
  }

  get(name: string, fallback = ''): string {
    this.maybeRefresh();
    return this.overrides.get(name) ?? this.cache.get(name) ?? fallback;
  }

  int(name: string, fallback = 0): number {
    const n = Number.parseInt(this.get(name), 10);
    return Number.isFinite(n) ? n : fallback;
  }

  bool(name: string): boolean {
    const v = this.get(name).toLowerCase();
    return v === '1' || v === 'true';
  }

  json<T>(name: string, fallback: T): T {
    try {
      const v = this.get(name);
      return v ? (JSON.parse(v) as T) : fallback;
    } catch {
      return fallback;
    }
  }

  all(): Record<string, string> {
    return { ...Object.fromEntries(this.cache), ...Object.fromEntries(this.overrides) };
  }

  async set(values: Record<string, string>): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      for (const [name, value] of Object.entries(values)) {
        const r = await trx.updateTable('settings').set({ value }).where('name', '=', name).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) await trx.insertInto('settings').values({ name, value }).execute();
      }
    });
    for (const [k, v] of Object.entries(values)) this.cache.set(k, v);
  }
}

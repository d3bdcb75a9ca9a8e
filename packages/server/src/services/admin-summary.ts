import type { Ctx } from './context.ts';
import { formatTime } from '../util/time.ts';

/** Dashboard home metrics (contract 60 §5 HomepageSummary.metrics_summary), cached 24 h. */

export interface MetricsSummary {
  dates: string[];
  files: number[];
  users: number[];
  shares: number[];
  file_total: number;
  user_total: number;
  share_total: number;
  entities_total: number;
  generated_at: string;
}

const CACHE_KEY = 'admin_metrics_summary';
const CACHE_SECONDS = 24 * 3600;
const DAYS = 12;

/** Local midnights of the last 12 days, oldest first, the last one today's. */
export function dayStarts(now: number): number[] {
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  const out: number[] = [];
  for (let i = DAYS - 1; i >= 0; i--) {
    const d = new Date(today);
    d.setDate(today.getDate() - i);
    out.push(d.getTime());
  }
  return out;
}

async function count(ctx: Ctx, table: 'files' | 'users' | 'shares' | 'entities', from?: number, to?: number): Promise<number> {
  let q = ctx.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n'));
  if (table === 'files') q = q.where('type', '=', 0);
  if (from !== undefined) q = q.where('created_at', '>=', from);
  if (to !== undefined) q = q.where('created_at', '<', to);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}

async function generate(ctx: Ctx): Promise<MetricsSummary> {
  const now = ctx.now();
  const starts = dayStarts(now);
  const perDay = async (table: 'files' | 'users' | 'shares') => {
    const out: number[] = [];
    for (let i = 0; i < starts.length; i++) out.push(await count(ctx, table, starts[i], starts[i + 1] ?? Number.MAX_SAFE_INTEGER));
    return out;
  };
  return {
    dates: starts.map((t) => formatTime(t)),
    files: await perDay('files'),
    users: await perDay('users'),
    shares: await perDay('shares'),
    file_total: await count(ctx, 'files'),
    user_total: await count(ctx, 'users'),
    share_total: await count(ctx, 'shares'),
    entities_total: await count(ctx, 'entities'),
    generated_at: formatTime(now),
  };
}

/**
 * `generate` computes fresh metrics and caches them (the dashboard's refresh); otherwise the
 * cached ones, or null when there are none (the dashboard then asks again with generate=true).
 */
export async function metricsSummary(ctx: Ctx, generateNow: boolean): Promise<MetricsSummary | null> {
  if (!generateNow) return (await ctx.kv.get<MetricsSummary>(CACHE_KEY)) ?? null;
  const fresh = await generate(ctx);
  await ctx.kv.set(CACHE_KEY, fresh, CACHE_SECONDS);
  return fresh;
}

/** Every `siteURL` entry. */
export function siteUrls(ctx: Ctx): string[] {
  return ctx.settings.get('siteURL').split(',').map((s) => s.trim()).filter(Boolean);
}

import { Type, type Static } from '@sinclair/typebox';
import { sql, type SelectQueryBuilder } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../../http/errors.ts';
import { formatTime } from '../../util/time.ts';

/**
 * Shared pieces of the admin API (contract 60 §4): the AdminListService body, its offset
 * pagination, raw integer ids, batch bodies and the entity serializer. Every admin route uses
 * `ADMIN` as its config, so the app-level hook answers 401 to anonymous callers and `403` with
 * an empty msg to non-admins before any body is read.
 */

/** Route config of every admin route. */
export const ADMIN = { scope: 'admin' } as const;

/** Largest page an admin list serves (a bound, not a contract value). */
export const MAX_ADMIN_PAGE_SIZE = 10_000;

/** AdminListService request body (contract 60 §4, conventions §8 offset style). */
export const ListBody = Type.Object({
  page: Type.Integer({ minimum: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: MAX_ADMIN_PAGE_SIZE }),
  order_by: Type.Optional(Type.String({ maxLength: 64 })),
  order_direction: Type.Optional(Type.String({ maxLength: 8 })),
  conditions: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 4096 }))),
  searches: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 4096 }))),
});
export type ListRequest = Static<typeof ListBody>;

/** `:id` path parameter: a raw integer id (validated by `parseId`). */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 32 }) });

/** `POST …/batch/delete` body. */
export const BatchIdsBody = Type.Object({ ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: MAX_ADMIN_PAGE_SIZE }) });

export interface AdminPagination { page: number; page_size: number; total_items?: number }

/** A raw integer id from a path segment; 40001 otherwise. */
export function parseId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new AppError(Code.ParamErr, 'Invalid ID');
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) throw new AppError(Code.ParamErr, 'Invalid ID');
  return id;
}

/** The order column: `order_by` when it is one of `allowed` or `id`, else `id`. */
export function orderColumn(req: ListRequest, allowed: readonly string[]): string {
  const o = req.order_by ?? '';
  return o === 'id' || allowed.includes(o) ? o : 'id';
}

export function orderDirection(req: ListRequest): 'asc' | 'desc' {
  return req.order_direction?.toLowerCase() === 'desc' ? 'desc' : 'asc';
}

/** A string condition, undefined when absent or empty. */
export function stringCondition(req: ListRequest, key: string): string | undefined {
  const v = req.conditions?.[key];
  return v === undefined || v === '' ? undefined : v;
}

/** An integer condition; undefined when absent/empty, 40001 when not an integer. */
export function intCondition(req: ListRequest, key: string): number | undefined {
  const v = stringCondition(req, key);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(v.trim())) throw new AppError(Code.ParamErr, `Invalid condition ${key}`);
  return Number(v.trim());
}

/** LIKE pattern for a case-insensitive substring match; use with `likeLower`. */
export function substringPattern(s: string): string {
  return `%${s.toLowerCase().replace(/[!%_]/g, '!$&')}%`;
}

/** `lower(column) LIKE pattern ESCAPE '!'` — portable case-insensitive substring filter. */
export function likeLower(column: string, value: string) {
  return sql<boolean>`lower(${sql.ref(column)}) like ${substringPattern(value)} escape '!'`;
}

export function pagination(req: ListRequest, total: number): AdminPagination {
  const p: AdminPagination = { page: req.page - 1, page_size: req.page_size };
  if (total > 0) p.total_items = total;
  return p;
}

/**
 * Runs one page of `base` (a filtered `selectFrom(...)` without a select list): the total count,
 * then the rows ordered by the allowed column (ties broken by id) with offset pagination.
 */
export async function listPage<Row>(
  req: ListRequest,
  base: SelectQueryBuilder<any, any, any>,
  orderable: readonly string[],
): Promise<{ rows: Row[]; pagination: AdminPagination }> {
  const countRow = await base.select((eb: any) => eb.fn.countAll().as('n')).executeTakeFirst() as { n: number | string | bigint } | undefined;
  const total = Number(countRow?.n ?? 0);
  const col = orderColumn(req, orderable);
  const dir = orderDirection(req);
  let q = base.selectAll().orderBy(col, dir);
  if (col !== 'id') q = q.orderBy('id', dir);
  const offset = (req.page - 1) * req.page_size;
  const rows = total > offset ? (await q.limit(req.page_size).offset(offset).execute()) as Row[] : [];
  return { rows, pagination: pagination(req, total) };
}

export interface EntityOptions {
  /** Columns never serialized (passwords, secrets). */
  omit?: readonly string[];
  /** Columns holding 0/1 that go out as booleans. */
  bools?: readonly string[];
  /** Columns holding JSON text that go out parsed. */
  json?: readonly string[];
  /** Wire names for columns whose CE field name differs (e.g. `group_id` → `group_users`). */
  rename?: Readonly<Record<string, string>>;
  /** Columns kept even when zero/empty. */
  keep?: readonly string[];
}

const TIME_COLUMNS = new Set(['created_at', 'updated_at', 'deleted_at']);

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

/**
 * A database row as a CE admin entity: snake_case columns, `created_at`/`updated_at` as RFC 3339
 * (always present), everything else omitted when zero/empty, and `edges` always present.
 */
export function serializeEntity(row: Record<string, unknown>, opts: EntityOptions = {}, edges: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { id: Number(row.id) };
  for (const [col, raw] of Object.entries(row)) {
    if (col === 'id' || opts.omit?.includes(col)) continue;
    const name = opts.rename?.[col] ?? col;
    let v: unknown = typeof raw === 'bigint' ? Number(raw) : raw;
    if (TIME_COLUMNS.has(col)) {
      if (col === 'deleted_at' && isEmpty(v)) continue;
      out[name] = formatTime(Number(v));
      continue;
    }
    if (opts.bools?.includes(col)) v = Number(v) === 1;
    else if (opts.json?.includes(col) && typeof v === 'string') {
      try {
        v = v ? JSON.parse(v) : undefined;
      } catch {
        v = undefined;
      }
    }
    if (isEmpty(v) && !opts.keep?.includes(col)) continue;
    out[name] = v;
  }
  out.edges = edges;
  return out;
}

/** Numeric value of a column that some drivers return as string/bigint. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

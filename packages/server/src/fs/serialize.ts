import type { StoragePolicySummary } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { HashType } from '../util/hashid.ts';
import { formatTime, ZERO_TIME } from '../util/time.ts';
import { parseJson } from '../util/json.ts';
import { policyNameFields, type PolicyNameSettings } from './names.ts';
import * as metadata from './metadata.ts';
import type { Navigator } from './navigator.ts';
import { chunks } from './tree.ts';
import type { FileUri } from './uri.ts';
import type { ExplorerView, FileRow, Tx } from './types.ts';

/** FolderSummary (contract 20 §2.5). */
export interface FolderSummary { size: number; files: number; folders: number; completed: boolean; calculated_at: string }

/** StoragePolicy summary (contract 20 §2.4), the wire type shared with clients. */
export type WirePolicy = StoragePolicySummary;

/** FileResponse (contract 20 §2.1). */
export interface FileResponse {
  type: number;
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  size: number;
  metadata: Record<string, string> | null;
  path?: string;
  shared?: boolean;
  capability?: string;
  owned?: boolean;
  primary_entity?: string;
  folder_summary?: FolderSummary;
  extended_info?: Record<string, unknown>;
}

/** An object to serialize, with the URI it was reached by. */
export interface Item { file: FileRow; uri: FileUri }

/**
 * Serializes rows as FileResponses for `viewer` through `nav`, with batched lookups (public
 * metadata, share flags): a constant number of queries whatever the number of rows.
 */
export async function serializeFiles(ctx: Ctx, tx: Tx, nav: Navigator, viewer: CurrentUser, items: Item[]): Promise<FileResponse[]> {
  const ids = items.map((i) => i.file.id);
  const meta = await metadata.loadPublic(tx, ids);
  const shared = new Set<number>();
  const ownedIds = items.filter((i) => !viewer.anonymous && i.file.owner_id === viewer.row.id).map((i) => i.file.id);
  for (const part of chunks(ownedIds)) {
    if (!part.length) continue;
    const rows = await tx.selectFrom('shares').select('file_id').distinct().where('file_id', 'in', part).execute();
    for (const r of rows) shared.add(Number(r.file_id));
  }
  const capability = nav.caps.encode();
  return items.map(({ file, uri }) => {
    const m = meta.get(file.id) ?? {};
    const out: FileResponse = {
      type: Number(file.type),
      id: ctx.hashids.encode(file.id, HashType.File),
      name: nav.displayName(file, m),
      created_at: formatTime(file.created_at),
      updated_at: formatTime(file.updated_at),
      size: Number(file.size),
      metadata: m,
      path: uri.toString(),
    };
    if (shared.has(file.id)) out.shared = true;
    if (capability) out.capability = capability;
    if (!viewer.anonymous && file.owner_id === viewer.row.id) out.owned = true;
    out.primary_entity = ctx.hashids.encode(Number(file.primary_entity ?? 0), HashType.Entity);
    return out;
  });
}

export async function serializeOne(ctx: Ctx, tx: Tx, nav: Navigator, viewer: CurrentUser, item: Item): Promise<FileResponse> {
  return (await serializeFiles(ctx, tx, nav, viewer, [item]))[0]!;
}

/** The `parent` of a listing without a parent object (trash root). */
export function zeroFile(): FileResponse {
  return { type: 0, id: '', name: '', created_at: ZERO_TIME, updated_at: ZERO_TIME, size: 0, metadata: null };
}

interface PolicySettingsView extends PolicyNameSettings { relay?: boolean; chunk_concurrency?: number; encryption?: boolean }

/** StoragePolicy summaries by id (one query). */
export async function loadPolicies(ctx: Ctx, tx: Tx, ids: number[]): Promise<Map<number, WirePolicy>> {
  const out = new Map<number, WirePolicy>();
  const uniq = [...new Set(ids.filter((i) => i))];
  if (!uniq.length) return out;
  const rows = await tx.selectFrom('storage_policies').select(['id', 'name', 'type', 'max_size', 'settings']).where('id', 'in', uniq).execute();
  for (const p of rows) {
    const s = parseJson<PolicySettingsView>(p.settings, {});
    const w: WirePolicy = { id: ctx.hashids.encode(Number(p.id), HashType.Policy), name: p.name, type: p.type, max_size: Number(p.max_size), ...policyNameFields(s) };
    if (s.relay) w.relay = true;
    if (s.chunk_concurrency) w.chunk_concurrency = s.chunk_concurrency;
    if (s.encryption) w.encryption = true;
    out.set(Number(p.id), w);
  }
  return out;
}

/** Validates an ExplorerView for PATCH /file/view (contract 20 §2.6); returns a message or undefined. */
export function viewProblem(v: ExplorerView): string | undefined {
  if (v.page_size !== undefined && (!Number.isInteger(v.page_size) || v.page_size < 50)) return 'Page size too short';
  if (v.order !== undefined && (typeof v.order !== 'string' || v.order.length > 255)) return 'Order too long';
  if (v.order_direction !== undefined && v.order_direction !== '' && !['asc', 'desc'].includes(v.order_direction)) return 'Invalid order direction';
  if (v.view !== undefined && v.view !== '' && !['list', 'grid', 'gallery'].includes(v.view)) return 'Invalid view';
  if (v.gallery_width !== undefined && v.gallery_width !== 0 && (!Number.isInteger(v.gallery_width) || v.gallery_width < 50 || v.gallery_width > 500)) return 'Invalid gallery width';
  if (v.columns !== undefined) {
    if (!Array.isArray(v.columns) || v.columns.length > 1000) return 'Too many columns';
    for (const c of v.columns) {
      if (!c || typeof c !== 'object' || !Number.isInteger(c.type) || c.type < 0) return 'Invalid column';
      const key = (c.props as { metadata_key?: unknown } | undefined)?.metadata_key;
      if (key !== undefined && (typeof key !== 'string' || key.length > 255)) return 'Invalid column';
    }
  }
  return undefined;
}

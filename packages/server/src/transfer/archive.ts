import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { AppError } from '../http/errors.ts';
import { Cap } from '../fs/capability.ts';
import { fileManager } from '../fs/core.ts';
import { chunks, walkSubtree } from '../fs/tree.ts';
import { FileType, MetaKey, type EntityRow, type FileRow } from '../fs/types.ts';
import { driverFor, loadPolicy, type PolicyRow } from '../storage/policies.ts';

export interface ArchiveEntry {
  /** Path inside the zip ("/" separated, no leading slash). */
  path: string;
  file: FileRow;
  /** undefined for files without content (zero bytes). */
  entity?: EntityRow;
}

/**
 * What an archive of `uris` contains (contract 30 §2.4): top-level items at the root, folder
 * contents under their relative paths, each file's current version. Items the requester cannot
 * download are skipped, like shortcuts, empty folders and files still being uploaded. Folder walks
 * are bounded by the group's `max_walked_files`.
 */
export async function collectArchiveEntries(ctx: Ctx, user: CurrentUser, uris: string[]): Promise<ArchiveEntry[]> {
  const fm = fileManager(ctx);
  const db = ctx.db.kysely;
  const out: { path: string; file: FileRow }[] = [];
  for (const raw of uris) {
    let r;
    try {
      r = await fm.get(user, raw, { caps: [Cap.DownloadFile] });
    } catch (e) {
      if (e instanceof AppError) continue;
      throw e;
    }
    const topName = r.nav.displayName(r.file, undefined);
    if (Number(r.file.type) === FileType.File) {
      try {
        await r.nav.beforeDownload?.(r.file);
      } catch (e) {
        if (e instanceof AppError) continue;
        throw e;
      }
      out.push({ path: topName, file: r.file });
      continue;
    }
    const { rows } = await walkSubtree(db, [r.file], fm.maxWalked(user), { partial: true });
    const byId = new Map(rows.map((f) => [f.id, f]));
    const pathOf = new Map<number, string>([[r.file.id, topName]]);
    const resolvePath = (f: FileRow): string | undefined => {
      const known = pathOf.get(f.id);
      if (known !== undefined) return known;
      const parent = f.parent_id === null ? undefined : byId.get(f.parent_id);
      const base = parent ? resolvePath(parent) : undefined;
      if (base === undefined) return undefined;
      const p = `${base}/${f.name}`;
      pathOf.set(f.id, p);
      return p;
    };
    for (const f of rows) {
      if (f.id === r.file.id || Number(f.type) !== FileType.File) continue;
      const p = resolvePath(f);
      if (p !== undefined) out.push({ path: p, file: f });
    }
  }

  // Shortcuts and unfinished uploads are left out; entities loaded in batches.
  const ids = out.map((e) => e.file.id);
  const byFileId = new Map(out.map((e) => [e.file.id, e]));
  const skip = new Set<number>();
  const entityIds = out.map((e) => Number(e.file.primary_entity ?? 0)).filter((id) => id > 0);
  const entities = new Map<number, EntityRow>();
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const rows = await db.selectFrom('metadata').select(['file_id', 'name']).where('file_id', 'in', part)
      .where('name', 'in', [MetaKey.SharedRedirect, MetaKey.UploadSessionId]).execute();
    for (const m of rows) {
      const id = Number(m.file_id);
      if (m.name === MetaKey.SharedRedirect || !byFileId.get(id)?.file.primary_entity) skip.add(id);
    }
  }
  for (const part of chunks([...new Set(entityIds)])) {
    if (!part.length) continue;
    for (const e of await db.selectFrom('entities').selectAll().where('id', 'in', part).execute()) entities.set(Number(e.id), e);
  }
  return out.filter((e) => !skip.has(e.file.id)).map((e) => {
    const entity = e.file.primary_entity ? entities.get(Number(e.file.primary_entity)) : undefined;
    return { ...e, entity };
  }).filter((e) => !e.file.primary_entity || e.entity);
}

/**
 * Streams a ZIP (stored, no compression, UTF-8 names) of the entries: one blob open at a time, the
 * next opened only when the previous was consumed, so memory stays flat and back-pressure from the
 * client reaches the disk. A blob that cannot be opened is skipped; a failure mid-blob aborts the
 * stream (the zip would be corrupt otherwise).
 */
export function streamZip(ctx: Ctx, entries: ArchiveEntry[], signal: AbortSignal, opts: { compress?: boolean; onSkip?: (e: ArchiveEntry) => void } = {}): Readable {
  const compress = opts.compress ?? false;
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  const policies = new Map<number, PolicyRow>();
  (async () => {
    for (const e of entries) {
      if (signal.aborted) return;
      const mtime = new Date(Number(e.file.updated_at) || Date.now());
      if (!e.entity || Number(e.entity.size) === 0) {
        zip.addBuffer(Buffer.alloc(0), e.path, { compress, mtime });
        continue;
      }
      let input: Readable;
      try {
        const pid = Number(e.entity.storage_policy_id);
        if (!policies.has(pid)) policies.set(pid, await loadPolicy(ctx, pid));
        input = await driverFor(ctx, policies.get(pid)!).get(e.entity.source);
      } catch (err) {
        ctx.log.info('archive: entry skipped', { file: e.file.id, error: String((err as Error)?.message ?? err) });
        opts.onSkip?.(e);
        continue;
      }
      const done = Promise.race([once(input, 'end'), once(input, 'close')]);
      const onAbort = () => input.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      zip.addReadStream(input, e.path, { compress, mtime, size: Number(e.entity.size) });
      try {
        await done;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
    zip.end();
  })().catch((err: unknown) => output.destroy(err as Error));
  return output;
}

import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { Cap } from '../fs/capability.ts';
import { fileManager } from '../fs/core.ts';
import { createObject } from '../fs/ops/create.ts';
import { FileType } from '../fs/types.ts';
import { driverFor, loadPolicy } from '../storage/policies.ts';
import { taskTempFile, taskUser } from './archive-task.ts';
import { registerTaskHandler } from './queue.ts';
import { settleSession, storeFile } from './store-file.ts';
import { faultPoint } from '../util/fault.ts';
import { CriticalTaskError, type RunningTask } from './types.ts';
import { decodeEntryName, entrySegments } from './zip-names.ts';
import { detectFormat, extractWithTool, openExtracted, walkExtracted, type ArchiveFormat } from './archive-tools.ts';
import type { Ctx } from '../services/context.ts';

export const EXTRACT_ARCHIVE = 'extract_archive';

interface ExtractState {
  user_id: number;
  src: string;
  dst: string;
  encoding?: string;
  /** zip/7z password; removed from the stored state when the task ends. */
  password?: string;
  file_mask?: string[];
  task_id?: number;
  /** Entries before this index (central directory order) are done (resume point). */
  next_index: number;
  failed: number;
  session_id?: string;
  /** Entity of that upload: tells a resumed run whether the upload was committed before the crash. */
  entity_id?: number;
}

const summary = (s: ExtractState, phase: string) => ({ phase, props: { src: s.src, dst: s.dst } });

const openZip = (file: string) => new Promise<yauzl.ZipFile>((resolve, reject) => {
  yauzl.open(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (err, zip) => (err ? reject(err) : resolve(zip)));
});

async function* entriesOf(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      const done = () => { zip.off('entry', onEntry); zip.off('end', onEnd); zip.off('error', onError); };
      const onEntry = (e: yauzl.Entry) => { done(); resolve(e); };
      const onEnd = () => { done(); resolve(undefined); };
      const onError = (e: Error) => { done(); reject(e); };
      zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
      zip.readEntry();
    });
    if (!entry) return;
    yield entry;
  }
}

const openEntry = (zip: yauzl.ZipFile, entry: yauzl.Entry) => new Promise<Readable>((resolve, reject) => {
  zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream)));
});

/** One thing to create: a folder, or a file whose bytes `open` streams. */
interface Planned { index: number; segments: string[]; dir: boolean; size: number; open?: () => Promise<Readable> }

/** Whether `segs` is selected by the mask (an entry, or a folder on the way to / under one). */
function inMask(mask: string[] | undefined, segs: string[]): boolean {
  if (!mask?.length) return true;
  const p = segs.join('/');
  return mask.some((m) => {
    const clean = m.replace(/^\/+|\/+$/g, '');
    return p === clean || p.startsWith(`${clean}/`) || clean.startsWith(`${p}/`);
  });
}

function limitsOf(task: RunningTask<ExtractState>) {
  return { maxFiles: task.ctx.settings.int('extract_max_files', 10000), maxSize: task.ctx.settings.int('extract_max_size', 10 * 1024 ** 3) };
}

function decodeName(task: RunningTask<ExtractState>, raw: Buffer, utf8Flag: boolean): string {
  try {
    return decodeEntryName(raw, utf8Flag, task.state.encoding);
  } catch {
    throw new CriticalTaskError(`Unknown text encoding "${task.state.encoding}"`);
  }
}

/** Adds an entry to the plan when the mask selects it, enforcing the bomb limits. */
function admit(task: RunningTask<ExtractState>, items: Planned[], acc: { total: number }, item: Planned): void {
  if (!inMask(task.state.file_mask, item.segments)) return;
  const { maxFiles, maxSize } = limitsOf(task);
  if (!item.dir) acc.total += item.size;
  if (items.length + 1 > maxFiles) throw new CriticalTaskError(`Archive has more than ${maxFiles} entries`);
  if (acc.total > maxSize) throw new CriticalTaskError(`Archive expands to more than ${maxSize} bytes`);
  items.push(item);
}

interface ZipPlan { items: Planned[]; total: number; skipped: number; encrypted: boolean; utf8Names: Set<string> }

/**
 * Reads the central directory once: decodes and vets every name (zip-slip), applies the file
 * mask and enforces the zip-bomb limits on the declared sizes. yauzl verifies while extracting
 * that each entry yields exactly its declared size, so the declared total is a real bound.
 * Encrypted entries are reported (the zip then goes through 7-Zip), with the raw names that carry
 * the UTF-8 flag (7-Zip writes names as raw bytes, so the flag must come from here).
 */
async function planZip(task: RunningTask<ExtractState>, zip: yauzl.ZipFile): Promise<ZipPlan> {
  const { ctx } = task;
  const items: Planned[] = [];
  const acc = { total: 0 };
  let skipped = 0;
  let index = 0;
  let encrypted = false;
  const utf8Names = new Set<string>();
  for await (const entry of entriesOf(zip)) {
    const i = index++;
    const raw = entry.fileName as unknown as Buffer;
    const utf8 = (entry.generalPurposeBitFlag & 0x800) !== 0;
    if (utf8) utf8Names.add(raw.toString('latin1').replace(/\/+$/, ''));
    if (entry.isEncrypted()) encrypted = true;
    const name = decodeName(task, raw, utf8);
    const dir = name.endsWith('/');
    const segments = yauzl.validateFileName(name) === null ? entrySegments(name) : undefined;
    if (!segments) {
      ctx.log.info('extract: unsafe entry name skipped', { task: task.id, name });
      skipped++;
      continue;
    }
    admit(task, items, acc, { index: i, segments, dir, size: dir ? 0 : entry.uncompressedSize, open: dir ? undefined : () => openEntry(zip, entry) });
  }
  return { items, total: acc.total, skipped, encrypted, utf8Names };
}

/**
 * 7z, RAR, tar and encrypted zips: the tool extracts everything into a scratch folder (bounded by
 * the same limits), then the walk of that folder is planned like zip entries. Its order is sorted
 * by raw path, so `next_index` means the same after a re-extraction.
 */
async function planTool(task: RunningTask<ExtractState>, format: ArchiveFormat, archive: string, out: string, utf8Names?: Set<string>): Promise<{ items: Planned[]; total: number; skipped: number }> {
  await fs.promises.rm(out, { recursive: true, force: true });
  await fs.promises.mkdir(out, { mode: 0o700 });
  const { refused } = await extractWithTool(format, archive, out, { password: task.state.password, limits: limitsOf(task), signal: task.signal });
  const walked = await walkExtracted(out);
  const items: Planned[] = [];
  const acc = { total: 0 };
  let skipped = walked.skipped + refused;
  walked.entries.forEach((e, i) => {
    const name = decodeName(task, e.raw, format === 'zip' ? utf8Names?.has(e.raw.toString('latin1')) ?? false : format !== 'tar');
    const segments = entrySegments(name);
    if (!segments) {
      task.ctx.log.info('extract: unsafe entry name skipped', { task: task.id, name });
      skipped++;
      return;
    }
    admit(task, items, acc, { index: i, segments, dir: e.dir, size: e.size, open: e.dir ? undefined : async () => openExtracted(e) });
  });
  return { items, total: acc.total, skipped };
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function runExtract(task: RunningTask<ExtractState>) {
  const { ctx } = task;
  const s = task.state;
  s.task_id = task.id;
  const user = await taskUser(ctx, s.user_id);
  const fm = fileManager(ctx);
  // Killed while storing entry `next_index`: if its upload was committed, that entry is done.
  let alreadyStored = -1;
  if (s.session_id) {
    await settleSession(ctx, s.session_id);
    if (await sessionCommitted(ctx, s.session_id, s.entity_id)) alreadyStored = s.next_index;
    s.session_id = undefined;
    s.entity_id = undefined;
  }
  const src = await fm.get(user, s.src, { caps: [Cap.DownloadFile] });
  if (Number(src.file.type) !== FileType.File || !src.file.primary_entity) throw new CriticalTaskError('Source is not an archive file');
  const limit = Number(fm.groupSettings(user).decompress_size ?? 0) || 0;
  if (limit > 0 && Number(src.file.size) > limit) throw new CriticalTaskError(`Archive size exceeds the group's decompress size limit (${limit} bytes)`);
  const entity = await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', Number(src.file.primary_entity)).executeTakeFirstOrThrow();

  await task.checkpoint(s, summary(s, 'download_zip'));
  const tmp = await taskTempFile(ctx, 'extract', task.id);
  const out = `${tmp}.d`;
  let zip: yauzl.ZipFile | undefined;
  try {
    const blob = await driverFor(ctx, await loadPolicy(ctx, Number(entity.storage_policy_id))).get(entity.source, { signal: task.signal });
    await pipeline(blob, fs.createWriteStream(tmp), { signal: task.signal });
    const format = detectFormat(await readHead(tmp), src.file.name);
    if (!format) throw new CriticalTaskError('Unsupported archive format');
    await task.checkpoint(s, summary(s, ''));
    let planned: { items: Planned[]; total: number; skipped: number };
    if (format === 'zip') {
      try {
        zip = await openZip(tmp);
      } catch (e) {
        throw new CriticalTaskError(`Unsupported or corrupt archive: ${(e as Error).message}`);
      }
      const zp = await planZip(task, zip);
      if (zp.encrypted) {
        if (!s.password) throw new CriticalTaskError('The archive is encrypted: a password is required');
        zip.close();
        zip = undefined;
        planned = await planTool(task, 'zip', tmp, out, zp.utf8Names);
      } else {
        planned = zp;
      }
    } else {
      planned = await planTool(task, format, tmp, out);
    }
    const { items, total, skipped } = planned;
    if (s.next_index === 0) s.failed = skipped;
    const dst = fm.parse(s.dst);
    let doneCount = 0;
    let doneSize = 0;
    for (const item of items) {
      if (task.signal.aborted) throw task.signal.reason;
      if (item.index < s.next_index) {
        doneCount++;
        doneSize += item.size;
        continue;
      }
      const uri = dst.join(...item.segments);
      if (item.dir) {
        await createObject(fm, user, uri, { type: FileType.Folder, onExisting: 'return' });
      } else if (item.index !== alreadyStored) {
        const stream = await item.open!();
        try {
          // An existing target fails the whole task (contract 50 §1.5): 40004 is critical.
          await storeFile(ctx, user, uri.toString(), item.size, () => stream, {
            // No entity yet: a resume that finds only the id knows nothing was committed.
            reserve: async (id) => {
              s.session_id = id;
              s.entity_id = undefined;
              await task.checkpoint(s);
            },
            onSession: async (id) => {
              s.entity_id = await sessionEntity(ctx, id);
              await task.checkpoint(s);
            },
          });
        } finally {
          stream.destroy();
        }
        faultPoint('extract-after-store');
        s.session_id = undefined;
        s.entity_id = undefined;
      }
      doneCount++;
      doneSize += item.size;
      s.next_index = item.index + 1;
      await task.checkpoint(s);
      task.progress('extract_count', { total: items.length, current: doneCount, identifier: '' });
      task.progress('extract_size', { total, current: doneSize, identifier: '' });
    }
    return { status: 'completed' as const };
  } finally {
    zip?.close();
    await fs.promises.rm(tmp, { force: true });
    await fs.promises.rm(out, { recursive: true, force: true });
  }
}

async function sessionEntity(ctx: Ctx, sessionId: string): Promise<number | undefined> {
  const row = await ctx.db.kysely.selectFrom('upload_sessions').select('entity_id').where('id', '=', sessionId).executeTakeFirst();
  return row?.entity_id == null ? undefined : Number(row.entity_id);
}

/** Whether an internal upload finished: its session is gone and its entity is live and published. */
async function sessionCommitted(ctx: Ctx, sessionId: string, entityId: number | undefined): Promise<boolean> {
  if (entityId === undefined) return false;
  if (await ctx.db.kysely.selectFrom('upload_sessions').select('id').where('id', '=', sessionId).executeTakeFirst()) return false;
  const e = await ctx.db.kysely.selectFrom('entities').select(['upload_session_id', 'reference_count']).where('id', '=', entityId).executeTakeFirst();
  return !!e && e.upload_session_id === null && Number(e.reference_count) > 0;
}

/** The password is only needed while the task may still run: scrub it from the stored state. */
async function finalizeExtract(ctx: Ctx, state: ExtractState): Promise<void> {
  if (state.password === undefined || state.task_id === undefined) return;
  const { password: _drop, ...rest } = state;
  await ctx.db.kysely.updateTable('tasks').set({ private_state: JSON.stringify(rest) }).where('id', '=', state.task_id).execute();
}

registerTaskHandler({ type: EXTRACT_ARCHIVE, queue: 'io_intense', run: runExtract, finalize: finalizeExtract });

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
import { discardSession, storeFile } from './store-file.ts';
import { CriticalTaskError, type RunningTask } from './types.ts';
import { decodeEntryName, entrySegments } from './zip-names.ts';

export const EXTRACT_ARCHIVE = 'extract_archive';

interface ExtractState {
  user_id: number;
  src: string;
  dst: string;
  encoding?: string;
  file_mask?: string[];
  /** Entries before this index (central directory order) are done (resume point). */
  next_index: number;
  failed: number;
  session_id?: string;
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

interface Planned { index: number; entry: yauzl.Entry; segments: string[]; dir: boolean }

/** Whether `segs` is selected by the mask (an entry, or a folder on the way to / under one). */
function inMask(mask: string[] | undefined, segs: string[]): boolean {
  if (!mask?.length) return true;
  const p = segs.join('/');
  return mask.some((m) => {
    const clean = m.replace(/^\/+|\/+$/g, '');
    return p === clean || p.startsWith(`${clean}/`) || clean.startsWith(`${p}/`);
  });
}

/**
 * Reads the central directory once: decodes and vets every name (zip-slip), applies the file
 * mask and enforces the zip-bomb limits on the declared sizes. yauzl verifies while extracting
 * that each entry yields exactly its declared size, so the declared total is a real bound.
 */
async function plan(task: RunningTask<ExtractState>, zip: yauzl.ZipFile): Promise<{ items: Planned[]; total: number; skipped: number }> {
  const { ctx } = task;
  const maxFiles = ctx.settings.int('extract_max_files', 10000);
  const maxSize = ctx.settings.int('extract_max_size', 10 * 1024 ** 3);
  const items: Planned[] = [];
  let total = 0;
  let skipped = 0;
  let index = 0;
  for await (const entry of entriesOf(zip)) {
    const i = index++;
    let name: string;
    try {
      name = decodeEntryName(entry.fileName as unknown as Buffer, (entry.generalPurposeBitFlag & 0x800) !== 0, task.state.encoding);
    } catch {
      throw new CriticalTaskError(`Unknown text encoding "${task.state.encoding}"`);
    }
    const dir = name.endsWith('/');
    const segments = yauzl.validateFileName(name) === null ? entrySegments(name) : undefined;
    if (!segments) {
      ctx.log.info('extract: unsafe entry name skipped', { task: task.id, name });
      skipped++;
      continue;
    }
    if (!inMask(task.state.file_mask, segments)) continue;
    if (entry.isEncrypted()) throw new CriticalTaskError('Encrypted archives are not supported');
    if (!dir) total += entry.uncompressedSize;
    if (items.length + 1 > maxFiles) throw new CriticalTaskError(`Archive has more than ${maxFiles} entries`);
    if (total > maxSize) throw new CriticalTaskError(`Archive expands to more than ${maxSize} bytes`);
    items.push({ index: i, entry, segments, dir });
  }
  return { items, total, skipped };
}

async function runExtract(task: RunningTask<ExtractState>) {
  const { ctx } = task;
  const s = task.state;
  const user = await taskUser(ctx, s.user_id);
  const fm = fileManager(ctx);
  if (s.session_id) {
    await discardSession(ctx, s.session_id);
    s.session_id = undefined;
  }
  const src = await fm.get(user, s.src, { caps: [Cap.DownloadFile] });
  if (Number(src.file.type) !== FileType.File || !src.file.primary_entity) throw new CriticalTaskError('Source is not an archive file');
  const limit = Number(fm.groupSettings(user).decompress_size ?? 0) || 0;
  if (limit > 0 && Number(src.file.size) > limit) throw new CriticalTaskError(`Archive size exceeds the group's decompress size limit (${limit} bytes)`);
  const entity = await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', Number(src.file.primary_entity)).executeTakeFirstOrThrow();

  await task.checkpoint(s, summary(s, 'download_zip'));
  const tmp = await taskTempFile(ctx, 'extract', task.id);
  let zip: yauzl.ZipFile | undefined;
  try {
    const blob = await driverFor(ctx, await loadPolicy(ctx, Number(entity.storage_policy_id))).get(entity.source, { signal: task.signal });
    await pipeline(blob, fs.createWriteStream(tmp), { signal: task.signal });
    try {
      zip = await openZip(tmp);
    } catch (e) {
      throw new CriticalTaskError(`Unsupported or corrupt archive: ${(e as Error).message}`);
    }
    await task.checkpoint(s, summary(s, ''));
    const { items, total, skipped } = await plan(task, zip);
    if (s.next_index === 0) s.failed = skipped;
    const dst = fm.parse(s.dst);
    let doneCount = 0;
    let doneSize = 0;
    for (const item of items) {
      if (task.signal.aborted) throw task.signal.reason;
      if (item.index < s.next_index) {
        doneCount++;
        doneSize += item.dir ? 0 : item.entry.uncompressedSize;
        continue;
      }
      const uri = dst.join(...item.segments);
      if (item.dir) {
        await createObject(fm, user, uri, { type: FileType.Folder, onExisting: 'return' });
      } else {
        const stream = await openEntry(zip, item.entry);
        try {
          // An existing target fails the whole task (contract 50 §1.5): 40004 is critical.
          await storeFile(ctx, user, uri.toString(), item.entry.uncompressedSize, () => stream, {
            onSession: async (id) => { s.session_id = id; await task.checkpoint(s); },
          });
        } finally {
          stream.destroy();
        }
        s.session_id = undefined;
      }
      doneCount++;
      doneSize += item.dir ? 0 : item.entry.uncompressedSize;
      s.next_index = item.index + 1;
      await task.checkpoint(s);
      task.progress('extract_count', { total: items.length, current: doneCount, identifier: '' });
      task.progress('extract_size', { total, current: doneSize, identifier: '' });
    }
    return { status: 'completed' as const };
  } finally {
    zip?.close();
    await fs.promises.rm(tmp, { force: true });
  }
}

registerTaskHandler({ type: EXTRACT_ARCHIVE, queue: 'io_intense', run: runExtract });

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Direct-to-database seeding, used ONLY to build large trees quickly for the listing and delete
 * benches (creating through the API is measured separately). It writes the same rows the server
 * would (files, entities, file_entities, the owner's used capacity) into the server's SQLite file
 * while the server runs (WAL mode, busy timeout), in one transaction per call.
 */
export class Seeder {
  private readonly db: Database.Database;
  readonly ownerId: number;
  readonly rootId: number;

  constructor(dbFile: string, email: string) {
    this.db = new Database(dbFile);
    this.db.pragma('busy_timeout = 30000');
    const user = this.db.prepare('select id from users where email = ?').get(email) as { id: number } | undefined;
    if (!user) throw new Error(`seed: no user ${email}`);
    this.ownerId = user.id;
    const root = this.db.prepare('select id from files where root_owner_id = ?').get(user.id) as { id: number } | undefined;
    if (!root) throw new Error('seed: the user has no root folder yet (list or create something through the API first)');
    this.rootId = root.id;
  }

  /** Id of the folder at `names` below the user's root (created through the API beforehand). */
  folderId(...names: string[]): number {
    let id = this.rootId;
    for (const n of names) {
      const row = this.db.prepare('select id from files where parent_id = ? and name = ? and type = 1').get(id, n) as { id: number } | undefined;
      if (!row) throw new Error(`seed: folder ${names.join('/')} not found`);
      id = row.id;
    }
    return id;
  }

  /**
   * Adds `count` files named `<prefix><n>.bin` to folder `parentId`, each with one version entity
   * of `fileSize` bytes. With `blobDir` (the server's local storage root) a real blob of that
   * size is written for each, so a permanent delete has real blobs to recycle.
   */
  addFiles(parentId: number, count: number, opts: { prefix?: string; fileSize?: number; blobDir?: string; blobPrefix?: string } = {}): void {
    const now = Date.now();
    const size = opts.fileSize ?? 1;
    const prefix = opts.prefix ?? 'file-';
    const blobPrefix = opts.blobPrefix ?? `bench-seed/${parentId}`;
    if (opts.blobDir) fs.mkdirSync(path.join(opts.blobDir, blobPrefix), { recursive: true });
    const blob = Buffer.alloc(size, 0x61);
    const insEntity = this.db.prepare(`insert into entities (type, source, size, reference_count, storage_policy_id, created_by, upload_session_id, recycle_options, props, created_at, updated_at)
      values (0, ?, ?, 1, 1, ?, null, null, null, ?, ?)`);
    const insFile = this.db.prepare(`insert into files (type, name, owner_id, parent_id, size, primary_entity, storage_policy_id, props, created_at, updated_at, root_owner_id)
      values (0, ?, ?, ?, ?, ?, 1, null, ?, ?, null)`);
    const insLink = this.db.prepare('insert into file_entities (file_id, entity_id) values (?, ?)');
    const width = String(count).length;
    this.db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const name = `${prefix}${String(i).padStart(width, '0')}.bin`;
        const source = `${blobPrefix}/${name}`;
        if (opts.blobDir) fs.writeFileSync(path.join(opts.blobDir, source), blob);
        const entityId = Number(insEntity.run(source, size, this.ownerId, now, now).lastInsertRowid);
        const fileId = Number(insFile.run(name, this.ownerId, parentId, size, entityId, now, now).lastInsertRowid);
        insLink.run(fileId, entityId);
      }
      this.db.prepare('update users set storage = storage + ? where id = ?').run(count * size, this.ownerId);
    })();
  }

  /** Adds `folders` sub-folders of `parentId`, each holding `filesPerFolder` files (the "rest of the tree"). */
  addTree(parentId: number, folders: number, filesPerFolder: number): void {
    const now = Date.now();
    const insFolder = this.db.prepare(`insert into files (type, name, owner_id, parent_id, size, primary_entity, storage_policy_id, props, created_at, updated_at, root_owner_id)
      values (1, ?, ?, ?, 0, null, null, null, ?, ?, null)`);
    const ids: number[] = [];
    this.db.transaction(() => {
      for (let i = 0; i < folders; i++) ids.push(Number(insFolder.run(`dir-${String(i).padStart(5, '0')}`, this.ownerId, parentId, now, now).lastInsertRowid));
    })();
    for (const id of ids) this.addFiles(id, filesPerFolder, { prefix: 'rest-' });
  }

  count(sqlText: string, ...params: unknown[]): number {
    return Number((this.db.prepare(sqlText).get(...params) as { n: number }).n);
  }

  /**
   * The queries the first page of a listing in id order needs, run in-process: the database floor
   * for one page. Same shape as the server's (folders section, then files section, page_size + 1).
   */
  firstPageQuery(parentId: number, pageSize: number): () => unknown[] {
    const st = this.db.prepare('select * from files where parent_id = ? and type = ? order by id asc limit ?');
    return () => {
      const rows = st.all(parentId, 1, pageSize + 1);
      if (rows.length <= pageSize) rows.push(...st.all(parentId, 0, pageSize + 1 - rows.length));
      return rows;
    };
  }

  close(): void {
    this.db.close();
  }
}

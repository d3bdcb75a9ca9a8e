import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Expression } from 'kysely';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** Dialect-aware DDL helpers shared by migrations. */
export class Ddl {
  constructor(readonly db: Kysely<any>, readonly dialect: DialectName, readonly prefix: string) {}

  /** A CREATE TABLE with an auto-increment primary key `id` and the dialect's table options. */
  table(name: string, withId = true): CreateTableBuilder<string, any> {
    let t = this.db.schema.createTable(name);
    if (withId) {
      if (this.dialect === 'postgres') t = t.addColumn('id', 'bigserial', (c) => c.primaryKey());
      else if (this.dialect === 'mysql') t = t.addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement());
      else t = t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    }
    if (this.dialect === 'mysql') t = t.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    return t;
  }

  /** Column type for a 64-bit integer. */
  get bigint(): 'bigint' | 'integer' {
    return this.dialect === 'sqlite' ? 'integer' : 'bigint';
  }

  /** Short string, byte-exact comparison on every dialect (utf8mb4_bin on MySQL). */
  varchar(len = 255): Expression<unknown> {
    if (this.dialect === 'mysql') return sql`varchar(${sql.raw(String(len))}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;
    return sql`varchar(${sql.raw(String(len))})`;
  }

  /** Long text (JSON documents, tokens). */
  get text(): Expression<unknown> {
    return this.dialect === 'mysql' ? sql`longtext` : sql`text`;
  }

  indexName(name: string): string {
    return `${this.prefix}${name}`;
  }

  async index(name: string, table: string, columns: string[], unique = false): Promise<void> {
    let b = this.db.schema.createIndex(this.indexName(name)).on(table).columns(columns);
    if (unique) b = b.unique();
    await b.execute();
  }
}

export const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

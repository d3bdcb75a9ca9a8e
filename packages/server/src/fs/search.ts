import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DialectName } from '../db/dialect.ts';
import type { Database } from '../db/tables.ts';
import type { NameTerm, SearchQuery } from './uri.ts';
import { FileType } from './types.ts';

/**
 * SQL predicates for the search parameters of contract 20 §1.6, identical on SQLite, PostgreSQL
 * and MySQL/MariaDB (names are byte-exact there: utf8mb4_bin; SQLite's LIKE ignores ASCII case,
 * so case-sensitive patterns use GLOB on SQLite).
 */

type EB = ExpressionBuilder<Database, 'files'>;
const ESC = '\\';

/** `%text%` with LIKE metacharacters escaped by `\`. */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => ESC + c)}%`;

/** Our LIKE pattern (`\` escapes, `%` any run) → SQLite GLOB (case-sensitive). */
function likeToGlob(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === ESC && i + 1 < pattern.length) {
      const lit = pattern[++i]!;
      out += '*?['.includes(lit) ? `[${lit}]` : lit;
    } else if (c === '%') out += '*';
    else if (c === '_') out += '?';
    else out += '*?['.includes(c) ? `[${c}]` : c;
  }
  return out;
}

function nameTerm(dialect: DialectName, t: NameTerm): Expression<SqlBool> {
  const name = sql.ref('files.name');
  if (t.kind === 'contains' && !t.caseInsensitive) {
    if (dialect === 'sqlite') return sql<SqlBool>`instr(${name}, ${t.text}) > 0`;
    if (dialect === 'postgres') return sql<SqlBool>`strpos(${name}, ${t.text}) > 0`;
    return sql<SqlBool>`locate(${t.text}, ${name}) > 0`;
  }
  const pattern = t.kind === 'contains' ? containsPattern(t.text) : t.pattern;
  if (t.caseInsensitive) return sql<SqlBool>`lower(${name}) like lower(${pattern}) escape ${ESC}`;
  if (dialect === 'sqlite') return sql<SqlBool>`${name} glob ${likeToGlob(pattern)}`;
  return sql<SqlBool>`${name} like ${pattern} escape ${ESC}`;
}

/** Every predicate of a search query, as one AND-ed list for `where`. */
export function searchPredicates(dialect: DialectName, q: SearchQuery): ((eb: EB) => Expression<SqlBool>)[] {
  const out: ((eb: EB) => Expression<SqlBool>)[] = [];
  if (q.nameTerms.length) {
    const terms = q.nameTerms.map((t) => nameTerm(dialect, t));
    out.push((eb) => (q.nameOpOr ? eb.or(terms) : eb.and(terms)));
  }
  if (q.type) out.push((eb) => eb('files.type', '=', q.type === 'folder' ? FileType.Folder : FileType.File));
  if (q.sizeGte !== undefined && q.sizeGte > 0) out.push((eb) => eb('files.size', '>=', q.sizeGte!));
  if (q.sizeLte !== undefined && q.sizeLte > 0) out.push((eb) => eb('files.size', '<=', q.sizeLte!));
  if (q.createdGteMs !== undefined) out.push((eb) => eb('files.created_at', '>=', q.createdGteMs!));
  if (q.createdLteMs !== undefined) out.push((eb) => eb('files.created_at', '<=', q.createdLteMs!));
  if (q.updatedGteMs !== undefined) out.push((eb) => eb('files.updated_at', '>=', q.updatedGteMs!));
  if (q.updatedLteMs !== undefined) out.push((eb) => eb('files.updated_at', '<=', q.updatedLteMs!));
  for (const m of q.metadata) {
    out.push((eb) => eb.exists(
      eb.selectFrom('metadata as m').select(sql`1`.as('one'))
        .whereRef('m.file_id', '=', 'files.id')
        .where('m.name', '=', m.key)
        .where('m.is_public', '=', 1)
        .$if(m.exact, (qb) => qb.where('m.value', '=', m.value))
        .$if(!m.exact && m.value !== '', (qb) => qb.where(sql<SqlBool>`lower(m.value) like lower(${containsPattern(m.value)}) escape ${ESC}`)),
    ));
  }
  return out;
}

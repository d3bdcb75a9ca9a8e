/**
 * The `cloudreve://` File URI (contract 20 §1.1–1.4, §1.6).
 *
 *   cloudreve://[<fs_id>[:<password>]@]<filesystem>[/<segment>…][?<search query>]
 *
 * Parsing follows Cloudreve's Go `url.Parse` + `path.Clean`: the path is percent-decoded as a whole,
 * then cleaned under a leading `/` (so `.`/`..` can never climb above the filesystem root and an
 * encoded `%2F` acts as a separator), then split into name elements. Formatting encodes every
 * element exactly like JavaScript `encodeURIComponent` (unescaped set `A–Z a–z 0–9 - _ . ! ~ * ' ( )`,
 * upper-case hex of the UTF-8 bytes), which is what the web client produces and compares against.
 *
 * A FileUri is immutable and always satisfies: every element is non-empty, is not `.`/`..`, has no
 * `/` and no control character, so `FileUri.parse(uri.toString())` equals `uri`.
 */
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';

export const FILE_SYSTEMS = ['my', 'trash', 'shared_with_me', 'share'] as const;
export type FileSystem = (typeof FILE_SYSTEMS)[number];

export const URI_SCHEME = 'cloudreve';
const PREFIX = `${URI_SCHEME}://`;
/** Inputs longer than this are refused before any work (names are ≤255 bytes; 64 KiB is generous). */
export const MAX_URI_LENGTH = 65536;

/** A malformed File URI. Maps to 40001 through the normal AppError handling. */
export class InvalidUriError extends AppError {
  constructor(message: string) {
    super(Code.ParamErr, message);
    this.name = 'InvalidUriError';
  }
}

// ---------------------------------------------------------------------------------------------
// Percent-encoding helpers

// C0 controls and DEL; never valid raw in a URI nor inside a decoded name.
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict percent-decoding: a `%` not followed by two hex digits or a non-UTF-8 result → undefined. */
export function percentDecode(s: string, plusAsSpace = false): string | undefined {
  if (!s.includes('%') && !(plusAsSpace && s.includes('+'))) return s;
  if (LONE_SURROGATE.test(s)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (plusAsSpace && ch === '+') {
      bytes.push(0x20);
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of utf8.encode(String.fromCodePoint(cp))) bytes.push(b);
    }
  }
  try {
    return strictUtf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** Encodes one path element the way the contract (and the web client) does: `encodeURIComponent`. */
export function encodeElement(name: string): string {
  return encodeURIComponent(name);
}

// ---------------------------------------------------------------------------------------------
// Search query (§1.6)

export type SearchCategory = 'image' | 'video' | 'audio' | 'document';
export const SEARCH_CATEGORIES: readonly SearchCategory[] = ['image', 'video', 'audio', 'document'];

/**
 * One `name` term, ready for SQL:
 * - `contains`: substring match of `text` (the caller escapes it for LIKE or uses instr/position).
 * - `like`: a LIKE pattern where `*` became `%`; literal `%`, `_` and `\` are escaped with `\`
 *   (use `ESCAPE '\'`). CE passes them through unescaped, which makes `_` a wildcard — we don't.
 * `caseInsensitive` is set from `case_folding`; quoted terms are always case-sensitive (CE).
 */
export type NameTerm =
  | { kind: 'contains'; text: string; caseInsensitive: boolean }
  | { kind: 'like'; pattern: string; caseInsensitive: boolean };

/** A metadata predicate. `exact:false` = value contains `value` case-insensitively; `value:''` = key exists. */
export interface MetadataFilter {
  key: string;
  value: string;
  exact: boolean;
}

export interface SearchQuery {
  /** Raw `name` values in request order (repeatable). */
  names: string[];
  /** `names` compiled to predicates (same order). */
  nameTerms: NameTerm[];
  /** `name_op_or` or `use_or` present → OR the name terms, else AND. */
  nameOpOr: boolean;
  /** `case_folding` present. */
  caseFolding: boolean;
  /** When set, the caller replaces the whole query with setting `explorer_category_<cat>_query`. */
  category?: SearchCategory;
  type?: 'file' | 'folder';
  /** One entry per distinct key (first value wins, like Go `Query().Get`); all must match (AND). */
  metadata: MetadataFilter[];
  /** Bytes. Absent = unbounded (we do not copy CE's "both bounds when either is set" quirk). */
  sizeGte?: number;
  sizeLte?: number;
  /** Epoch milliseconds (the URI carries Unix seconds). */
  createdGteMs?: number;
  createdLteMs?: number;
  updatedGteMs?: number;
  updatedLteMs?: number;
}

/** Go `url.ParseQuery`: `&`-separated, `+` = space; pairs with `;` or bad escapes are skipped. */
export function parseQueryPairs(rawQuery: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const k = percentDecode(eq < 0 ? part : part.slice(0, eq), true);
    const v = percentDecode(eq < 0 ? '' : part.slice(eq + 1), true);
    if (k === undefined || v === undefined) continue;
    out.push([k, v]);
  }
  return out;
}

function parseInt64(v: string): number | undefined {
  if (!/^[+-]?\d{1,19}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

function secondsToMs(v: string): number | undefined {
  const n = parseInt64(v);
  return n !== undefined && Number.isSafeInteger(n * 1000) ? n * 1000 : undefined;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function compileNameTerm(term: string, caseFolding: boolean): NameTerm {
  if (term.length >= 2 && term.startsWith('"') && term.endsWith('"')) {
    return { kind: 'contains', text: term.replace(/^"+|"+$/g, ''), caseInsensitive: false };
  }
  if (term.includes('*')) {
    let pattern = term.split('*').map(escapeLike).join('%');
    if (!term.startsWith('*') && !term.endsWith('*')) pattern = `%${pattern}%`;
    return { kind: 'like', pattern, caseInsensitive: caseFolding };
  }
  return { kind: 'contains', text: term, caseInsensitive: caseFolding };
}

/**
 * Parses a raw query string (without `?`) into a SearchQuery, or undefined when it does not make
 * the listing a search. An unknown non-empty `category` → 40001.
 */
export function parseSearchQuery(rawQuery: string): SearchQuery | undefined {
  const pairs = parseQueryPairs(rawQuery);
  const first = new Map<string, string>();
  const names: string[] = [];
  const metadata = new Map<string, MetadataFilter>();
  let nameOpOr = false;
  let caseFolding = false;
  for (const [k, v] of pairs) {
    if (!first.has(k)) first.set(k, v);
    if (k === 'name') names.push(v);
    else if (k === 'name_op_or' || k === 'use_or') nameOpOr = true;
    else if (k === 'case_folding') caseFolding = true;
    else if (k.startsWith('meta_')) {
      const key = k.slice('meta_'.length);
      // `meta_=<k>` (empty key) means "has key <k>".
      const filter = key === '' ? { key: v, value: '', exact: false } : { key, value: v, exact: false };
      const id = `${filter.exact}:${filter.key}`;
      if (filter.key !== '' && !metadata.has(id)) metadata.set(id, filter);
    } else if (k.startsWith('exact_meta_')) {
      const key = k.slice('exact_meta_'.length);
      const id = `true:${key}`;
      if (key !== '' && !metadata.has(id)) metadata.set(id, { key, value: v, exact: true });
    }
  }

  const q: SearchQuery = {
    names,
    nameTerms: names.map((n) => compileNameTerm(n, caseFolding)),
    nameOpOr,
    caseFolding,
    metadata: [...metadata.values()],
  };
  let isSearch = names.length > 0 || metadata.size > 0;

  const category = first.get('category');
  if (category) {
    if (!(SEARCH_CATEGORIES as readonly string[]).includes(category)) throw new InvalidUriError('Unknown search category');
    q.category = category as SearchCategory;
    isSearch = true;
  }
  const type = first.get('type');
  if (type === 'file' || type === 'folder') {
    q.type = type;
    isSearch = true;
  }
  const ints: [string, (v: string) => number | undefined, keyof SearchQuery][] = [
    ['size_gte', parseInt64, 'sizeGte'],
    ['size_lte', parseInt64, 'sizeLte'],
    ['created_gte', secondsToMs, 'createdGteMs'],
    ['created_lte', secondsToMs, 'createdLteMs'],
    ['updated_gte', secondsToMs, 'updatedGteMs'],
    ['updated_lte', secondsToMs, 'updatedLteMs'],
  ];
  for (const [param, parse, field] of ints) {
    const raw = first.get(param);
    const n = raw === undefined ? undefined : parse(raw);
    if (n !== undefined) {
      (q as unknown as Record<string, number>)[field] = n;
      isSearch = true;
    }
  }
  return isSearch ? q : undefined;
}

// ---------------------------------------------------------------------------------------------
// The URI

export interface FileUriParts {
  fs: FileSystem;
  /** Decoded user part: user hashid (`my`) or share hashid (`share`). Empty = absent. */
  fsId?: string;
  /** Decoded password (share only in practice). */
  password?: string;
  elements?: readonly string[];
  /** Raw query string without `?`, kept byte-exact. */
  rawQuery?: string;
}

/** Why an element cannot be part of a URI path, or undefined when it can. */
function elementProblem(e: unknown): string | undefined {
  if (typeof e !== 'string' || e === '') return 'empty path element';
  if (e === '.' || e === '..') return 'relative path element';
  if (e.includes('/')) return 'path element contains "/"';
  if (CONTROL.test(e)) return 'path element contains a control character';
  if (LONE_SURROGATE.test(e)) return 'path element is not valid Unicode';
  return undefined;
}

function isFileSystem(s: string): s is FileSystem {
  return (FILE_SYSTEMS as readonly string[]).includes(s);
}

// Go's validUserinfo set: unreserved, sub-delims, ':', '@' and '%'.
const USERINFO_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%]*$/;

/** Memoised toString() of immutable (frozen) FileUri objects. */
const stringForms = new WeakMap<FileUri, string>();

export class FileUri {
  readonly fs: FileSystem;
  readonly fsId: string | undefined;
  readonly password: string | undefined;
  readonly elements: readonly string[];
  readonly rawQuery: string;

  private constructor(p: FileUriParts) {
    this.fs = p.fs;
    this.fsId = p.fsId || undefined;
    this.password = p.password || undefined;
    this.elements = Object.freeze([...(p.elements ?? [])]);
    this.rawQuery = p.rawQuery ?? '';
    Object.freeze(this);
  }

  /** Builds a URI from decoded parts; throws InvalidUriError on an invalid filesystem or element. */
  static of(p: FileUriParts): FileUri {
    const fs = typeof p.fs === 'string' ? p.fs.toLowerCase() : '';
    if (!isFileSystem(fs)) throw new InvalidUriError('Unknown file system');
    for (const e of p.elements ?? []) {
      const problem = elementProblem(e);
      if (problem) throw new InvalidUriError(`Invalid uri: ${problem}`);
    }
    for (const s of [p.fsId, p.password]) {
      if (s !== undefined && (typeof s !== 'string' || CONTROL.test(s) || LONE_SURROGATE.test(s))) {
        throw new InvalidUriError('Invalid uri: bad user info');
      }
    }
    return new FileUri({ ...p, fs });
  }

  /** Root of a filesystem, e.g. `FileUri.root('share', { fsId, password })`. */
  static root(fs: FileSystem, user: { fsId?: string; password?: string } = {}): FileUri {
    return FileUri.of({ fs, ...user });
  }

  /** Parses an untrusted URI string. Throws InvalidUriError (40001) when malformed. */
  static parse(input: unknown): FileUri {
    if (typeof input !== 'string' || input === '') throw new InvalidUriError('Uri cannot be empty');
    if (input.length > MAX_URI_LENGTH) throw new InvalidUriError('Uri is too long');
    if (CONTROL.test(input)) throw new InvalidUriError('Invalid uri: control character');
    if (LONE_SURROGATE.test(input)) throw new InvalidUriError('Invalid uri: not valid Unicode');
    if (!input.startsWith(PREFIX)) throw new InvalidUriError('unknown uri');

    let rest = input.slice(PREFIX.length);
    const hash = rest.indexOf('#');
    if (hash >= 0) rest = rest.slice(0, hash);
    let rawQuery = '';
    const q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const rawPath = slash < 0 ? '' : rest.slice(slash);

    const at = authority.lastIndexOf('@');
    const host = authority.slice(at + 1);
    let fsId: string | undefined;
    let password: string | undefined;
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!USERINFO_CHARS.test(userinfo)) throw new InvalidUriError('Invalid uri: bad user info');
      const colon = userinfo.indexOf(':');
      fsId = percentDecode(colon < 0 ? userinfo : userinfo.slice(0, colon));
      password = colon < 0 ? '' : percentDecode(userinfo.slice(colon + 1));
      if (fsId === undefined || password === undefined || CONTROL.test(fsId) || CONTROL.test(password)) {
        throw new InvalidUriError('Invalid uri: bad user info');
      }
    }

    const fs = /^[A-Za-z_]+$/.test(host) ? host.toLowerCase() : '';
    if (!isFileSystem(fs)) throw new InvalidUriError('Unknown file system');

    const decoded = percentDecode(rawPath);
    if (decoded === undefined) throw new InvalidUriError('Invalid uri: bad percent-encoding in path');
    if (CONTROL.test(decoded)) throw new InvalidUriError('Invalid uri: path contains a control character');
    return new FileUri({ fs, fsId, password, elements: cleanElements(decoded), rawQuery });
  }

  /** Like parse, but returns undefined instead of throwing. */
  static tryParse(input: unknown): FileUri | undefined {
    try {
      return FileUri.parse(input);
    } catch (e) {
      if (e instanceof InvalidUriError) return undefined;
      throw e;
    }
  }

  /** Decoded, cleaned path: `/` for the root, `/a/b` otherwise. */
  get path(): string {
    return `/${this.elements.join('/')}`;
  }

  /** Last element; `''` for the root. */
  get name(): string {
    return this.elements.length ? this.elements[this.elements.length - 1]! : '';
  }

  get isRoot(): boolean {
    return this.elements.length === 0;
  }

  /** The filesystem ID the request addresses: explicit user part, else `defaultUid` (not for share). */
  id(defaultUid: string): string {
    if (this.fsId !== undefined) return this.fsId;
    return this.fs === 'share' ? '' : defaultUid;
  }

  /** Parent folder URI (query dropped). The root's parent is the root itself. */
  parent(): FileUri {
    return this.with({ elements: this.elements.slice(0, -1), rawQuery: '' });
  }

  /** Appends names (each exactly one element). Throws InvalidUriError for an invalid element. */
  join(...names: string[]): FileUri {
    for (const e of names) {
      const problem = elementProblem(e);
      if (problem) throw new InvalidUriError(`Invalid uri: ${problem}`);
    }
    const child = this.with({ elements: [...this.elements, ...names], rawQuery: '' });
    // Listings join every row's name to one parent: extend the parent's string instead of re-encoding it.
    const base = this.rawQuery ? undefined : stringForms.get(this);
    if (base !== undefined) stringForms.set(child, names.reduce((acc, n) => `${acc}/${encodeElement(n)}`, base));
    return child;
  }

  /** Appends a `/`-separated relative path (decoded), cleaned like the URI path itself. */
  joinPath(relative: string): FileUri {
    if (CONTROL.test(relative)) throw new InvalidUriError('Invalid uri: path contains a control character');
    return this.with({ elements: cleanElements(`${this.path}/${relative}`), rawQuery: '' });
  }

  /** Same filesystem and user part, root path, no query. */
  root(): FileUri {
    return this.with({ elements: [], rawQuery: '' });
  }

  withoutQuery(): FileUri {
    return this.rawQuery ? this.with({ rawQuery: '' }) : this;
  }

  withQuery(rawQuery: string): FileUri {
    return this.with({ rawQuery });
  }

  /** Search parameters of §1.6, or undefined when this is a plain listing. */
  search(): SearchQuery | undefined {
    return this.rawQuery ? parseSearchQuery(this.rawQuery) : undefined;
  }

  /** "Same file" per §1.3: filesystem + fs id (defaulting to `defaultUid`) + cleaned decoded path. */
  isSame(other: FileUri, defaultUid = ''): boolean {
    return this.fs === other.fs && this.id(defaultUid) === other.id(defaultUid) && this.path === other.path;
  }

  /** True when this URI is `base` or lies below it (same filesystem and id). */
  isEqualOrDescendantOf(base: FileUri, defaultUid = ''): boolean {
    if (this.fs !== base.fs || this.id(defaultUid) !== base.id(defaultUid)) return false;
    if (base.elements.length > this.elements.length) return false;
    return base.elements.every((e, i) => this.elements[i] === e);
  }

  /** Elements of this URI below `base`, or undefined when it is not equal to / under `base`. */
  relativeTo(base: FileUri, defaultUid = ''): string[] | undefined {
    return this.isEqualOrDescendantOf(base, defaultUid) ? this.elements.slice(base.elements.length) : undefined;
  }

  /** Canonical string form (elements encoded like encodeURIComponent, query kept raw). */
  toString(): string {
    const known = stringForms.get(this);
    if (known !== undefined) return known;
    let s = PREFIX;
    if (this.fsId !== undefined) {
      s += encodeURIComponent(this.fsId);
      if (this.password !== undefined) s += `:${encodeURIComponent(this.password)}`;
      s += '@';
    }
    s += this.fs;
    for (const e of this.elements) s += `/${encodeElement(e)}`;
    if (this.rawQuery) s += `?${this.rawQuery}`;
    stringForms.set(this, s);
    return s;
  }

  toJSON(): string {
    return this.toString();
  }

  private parts(): FileUriParts {
    return { fs: this.fs, fsId: this.fsId, password: this.password, elements: this.elements, rawQuery: this.rawQuery };
  }

  /** Copy with already-valid parts replaced (no re-validation needed). */
  private with(p: Partial<FileUriParts>): FileUri {
    return new FileUri({ ...this.parts(), ...p });
  }
}

/** `path.Clean('/' + p)` split into elements: drops empty and `.` segments, `..` pops (clamped at root). */
function cleanElements(p: string): string[] {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out;
}

/** Convenience: `formatUri({ fs:'my', elements:['a b'] })` → `cloudreve://my/a%20b`. */
export function formatUri(p: FileUriParts): string {
  return FileUri.of(p).toString();
}

/** Convenience: parse an untrusted string; throws InvalidUriError (40001). */
export function parseUri(input: unknown): FileUri {
  return FileUri.parse(input);
}

import type { LockEntry } from '../fs/locks.ts';
import { chunks } from '../fs/tree.ts';
import type { FileRow, Tx } from '../fs/types.ts';
import { typeByName } from '../http/mime.ts';
import { parseJson } from '../util/json.ts';
import { elementsOfLockPath, etagOf, isFolder, type DavContext } from './context.ts';
import { hrefOf } from './paths.ts';
import { wireToken } from './locking.ts';
import { DAV_NS, escapeAttr, escapeText } from './xml.ts';

/** WebDAV properties: live ones computed from the file row, dead ones stored as `dav:` metadata. */

export const OC_NS = 'http://owncloud.org/ns';

export interface PropName { ns: string; local: string }

/** Live properties we compute; `allprop` returns those marked so (RFC 4918 §9.1, RFC 4331 §3). */
const LIVE: { name: PropName; allprop: boolean }[] = [
  { name: { ns: DAV_NS, local: 'creationdate' }, allprop: true },
  { name: { ns: DAV_NS, local: 'displayname' }, allprop: true },
  { name: { ns: DAV_NS, local: 'getcontentlength' }, allprop: true },
  { name: { ns: DAV_NS, local: 'getcontenttype' }, allprop: true },
  { name: { ns: DAV_NS, local: 'getetag' }, allprop: true },
  { name: { ns: DAV_NS, local: 'getlastmodified' }, allprop: true },
  { name: { ns: DAV_NS, local: 'resourcetype' }, allprop: true },
  { name: { ns: DAV_NS, local: 'supportedlock' }, allprop: true },
  { name: { ns: DAV_NS, local: 'lockdiscovery' }, allprop: true },
  { name: { ns: DAV_NS, local: 'quota-available-bytes' }, allprop: false },
  { name: { ns: DAV_NS, local: 'quota-used-bytes' }, allprop: false },
  { name: { ns: OC_NS, local: 'checksums' }, allprop: false },
];

const key = (p: PropName) => `${p.ns}|${p.local}`;
const LIVE_KEYS = new Set(LIVE.map((l) => key(l.name)));

/** Live properties a client may not set or remove with PROPPATCH. */
export const isProtected = (p: PropName) => LIVE_KEYS.has(key(p));

/** Metadata key of a dead property (contract 50 §2.3): `dav:<namespace>|<local name>`. */
export const deadPropKey = (p: PropName) => `dav:${p.ns}|${p.local}`;

export interface DeadProp { name: PropName; lang: string; inner: string }

function parseDeadKey(k: string): PropName | undefined {
  if (!k.startsWith('dav:')) return undefined;
  const body = k.slice(4);
  const bar = body.lastIndexOf('|');
  if (bar < 0) return undefined;
  return { ns: body.slice(0, bar), local: body.slice(bar + 1) };
}

/** Stored value of a dead property: `{"l": xml:lang, "i": base64 of the inner XML}`. */
export const encodeDeadValue = (lang: string, inner: string) => JSON.stringify({ l: lang, i: Buffer.from(inner, 'utf8').toString('base64') });

/** Dead properties of many files (one query per 500 ids). */
export async function loadDeadProps(tx: Tx, fileIds: number[]): Promise<Map<number, DeadProp[]>> {
  const out = new Map<number, DeadProp[]>();
  for (const part of chunks([...new Set(fileIds)])) {
    if (!part.length) continue;
    const rows = await tx.selectFrom('metadata').select(['file_id', 'name', 'value']).where('file_id', 'in', part)
      .where('name', 'like', 'dav:%').orderBy('id').execute();
    for (const r of rows) {
      const name = parseDeadKey(r.name);
      if (!name) continue;
      const v = parseJson<{ l?: string; i?: string }>(r.value, {});
      const list = out.get(Number(r.file_id)) ?? [];
      list.push({ name, lang: typeof v.l === 'string' ? v.l : '', inner: Buffer.from(typeof v.i === 'string' ? v.i : '', 'base64').toString('utf8') });
      out.set(Number(r.file_id), list);
    }
  }
  return out;
}

/** Open/close tags of a property element in a multistatus body (DAV: uses the D prefix). */
export function propTag(p: PropName, attrs = ''): { open: string; close: string; empty: string } {
  if (p.ns === DAV_NS) return { open: `<D:${p.local}${attrs}>`, close: `</D:${p.local}>`, empty: `<D:${p.local}${attrs}/>` };
  const decl = p.ns === '' ? ' xmlns=""' : ` xmlns:R="${escapeAttr(p.ns)}"`;
  const name = p.ns === '' ? p.local : `R:${p.local}`;
  return { open: `<${name}${decl}${attrs}>`, close: `</${name}>`, empty: `<${name}${decl}${attrs}/>` };
}

/** A resource being described: its path below the account root and its row (absent for virtual roots). */
export interface DavResource {
  elements: readonly string[];
  file: FileRow;
}

/** Per-request data shared by every resource of a PROPFIND (batched lookups). */
export interface PropContext {
  dc: DavContext;
  dead: Map<number, DeadProp[]>;
  /** Locks at or below the PROPFIND target (one KV read). */
  locks: LockEntry[];
  /** Entity props of primary entities (checksums), by entity id. */
  entityProps: Map<number, Record<string, unknown>>;
  mimeMapping: Record<string, string>;
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function contentTypeOf(name: string, mapping: Record<string, string>): string {
  return typeByName(name, mapping) ?? 'application/octet-stream';
}

const SUPPORTED_LOCK =
  '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
  '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>';

/** `<D:activelock>` of a lock (LOCK responses and lockdiscovery). */
export function activeLockXml(dc: DavContext, l: LockEntry, fallbackRoot: string): string {
  const remaining = Math.max(0, Math.ceil((l.expiresAt - dc.ctx.now()) / 1000));
  const rootEls = elementsOfLockPath(dc, l.path);
  const root = rootEls ? hrefOf(rootEls, l.fileType === 1) : fallbackRoot;
  return '<D:activelock>' +
    '<D:locktype><D:write/></D:locktype>' +
    `<D:lockscope>${l.shared ? '<D:shared/>' : '<D:exclusive/>'}</D:lockscope>` +
    `<D:depth>${l.depth === 'infinity' ? 'infinity' : '0'}</D:depth>` +
    (l.innerXml ? `<D:owner>${l.innerXml}</D:owner>` : '') +
    `<D:timeout>Second-${remaining}</D:timeout>` +
    `<D:locktoken><D:href>${escapeText(wireToken(l.token))}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${root}</D:href></D:lockroot>` +
    '</D:activelock>';
}

function coveringLocks(pc: PropContext, path: string[]): LockEntry[] {
  return pc.locks.filter((l) => l.app === 'dav' && l.path.length <= path.length && l.path.every((s, i) => path[i] === s)
    && (l.path.length === path.length || l.depth === 'infinity'));
}

/** The value XML of a live property, or undefined when the resource does not have it. */
function liveValue(pc: PropContext, res: DavResource, p: PropName): string | undefined {
  const { dc } = pc;
  const f = res.file;
  const folder = isFolder(f);
  if (p.ns === OC_NS) {
    if (p.local !== 'checksums' || folder || f.primary_entity === null) return undefined;
    const props = pc.entityProps.get(Number(f.primary_entity)) ?? {};
    const sums = (['sha1', 'md5', 'sha256'] as const).filter((k) => typeof props[k] === 'string').map((k) => `${k.toUpperCase()}:${props[k]}`);
    return sums.length ? `<R:checksum>${escapeText(sums.join(' '))}</R:checksum>` : undefined;
  }
  switch (p.local) {
    case 'creationdate': return isoDate(Number(f.created_at));
    case 'displayname': return escapeText(res.elements.length ? res.elements[res.elements.length - 1]! : f.name || dc.account.name);
    case 'getcontentlength': return folder ? undefined : String(Number(f.size));
    case 'getcontenttype': return folder ? undefined : escapeText(contentTypeOf(f.name, pc.mimeMapping));
    case 'getetag': return folder ? undefined : escapeText(etagOf(dc, f)!);
    case 'getlastmodified': return httpDate(Number(f.updated_at));
    case 'resourcetype': return folder ? '<D:collection/>' : '';
    case 'supportedlock': return SUPPORTED_LOCK;
    case 'lockdiscovery': {
      const path = dc.nav.lockPath(dc.root.join(...res.elements));
      return coveringLocks(pc, path).map((l) => activeLockXml(dc, l, hrefOf(res.elements, folder))).join('');
    }
    case 'quota-used-bytes':
    case 'quota-available-bytes': {
      if (f.owner_id !== dc.user.row.id) return undefined;
      const used = Number(dc.user.row.storage);
      return p.local === 'quota-used-bytes' ? String(used) : String(Math.max(0, Number(dc.user.group.max_storage) - used));
    }
  }
  return undefined;
}

export type PropRequest =
  | { kind: 'allprop'; include: PropName[] }
  | { kind: 'propname' }
  | { kind: 'prop'; props: PropName[] };

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 424: 'Failed Dependency', 507: 'Insufficient Storage' };
export const statusLine = (s: number) => `HTTP/1.1 ${s} ${STATUS_TEXT[s] ?? ''}`.trimEnd();

function propstat(props: string[], status: number): string {
  return props.length ? `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>${statusLine(status)}</D:status></D:propstat>` : '';
}

/** One `<D:response>` of a PROPFIND multistatus. */
export function renderResponse(pc: PropContext, res: DavResource, req: PropRequest): string {
  const href = hrefOf(res.elements, isFolder(res.file));
  const dead = pc.dead.get(res.file.id) ?? [];
  const found: string[] = [];
  const missing: string[] = [];
  const renderDead = (d: DeadProp) => {
    const t = propTag(d.name, d.lang ? ` xml:lang="${escapeAttr(d.lang)}"` : '');
    return d.inner ? `${t.open}${d.inner}${t.close}` : t.empty;
  };
  const renderLive = (p: PropName): boolean => {
    const v = liveValue(pc, res, p);
    if (v === undefined) return false;
    const t = propTag(p);
    found.push(v ? `${t.open}${v}${t.close}` : t.empty);
    return true;
  };

  if (req.kind === 'propname') {
    for (const l of LIVE) if (liveValue(pc, res, l.name) !== undefined) found.push(propTag(l.name).empty);
    for (const d of dead) found.push(propTag(d.name).empty);
  } else if (req.kind === 'allprop') {
    for (const l of LIVE) if (l.allprop) renderLive(l.name);
    for (const d of dead) found.push(renderDead(d));
    for (const p of req.include) {
      if (LIVE.some((l) => l.allprop && key(l.name) === key(p)) || dead.some((d) => key(d.name) === key(p))) continue;
      if (!(LIVE_KEYS.has(key(p)) && renderLive(p))) missing.push(propTag(p).empty);
    }
  } else {
    for (const p of req.props) {
      if (LIVE_KEYS.has(key(p))) {
        if (!renderLive(p)) missing.push(propTag(p).empty);
        continue;
      }
      const d = dead.find((x) => key(x.name) === key(p));
      if (d) found.push(renderDead(d));
      else missing.push(propTag(p).empty);
    }
  }
  return `<D:response><D:href>${href}</D:href>${propstat(found, 200)}${propstat(missing, 404)}</D:response>`;
}

/** Entity props (checksums) of the primary entities of `files`. */
export async function loadEntityProps(tx: Tx, files: FileRow[]): Promise<Map<number, Record<string, unknown>>> {
  const out = new Map<number, Record<string, unknown>>();
  const ids = files.map((f) => f.primary_entity).filter((x): x is number => x !== null).map(Number);
  for (const part of chunks([...new Set(ids)])) {
    if (!part.length) continue;
    const rows = await tx.selectFrom('entities').select(['id', 'props']).where('id', 'in', part).execute();
    for (const r of rows) out.set(Number(r.id), parseJson<Record<string, unknown>>(r.props, {}));
  }
  return out;
}

export const propKey = key;

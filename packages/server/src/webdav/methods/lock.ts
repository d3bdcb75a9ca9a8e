import { Cap, requireCaps } from '../../fs/capability.ts';
import type { LockEntry } from '../../fs/locks.ts';
import { createObject } from '../../fs/ops/create.ts';
import { FileType } from '../../fs/types.ts';
import {
  hidesSystemFiles, hrefFor, isSystemFileName, lockNs, lockPathAt, lockReq, refuseSystemFile, requireParentFolder, resolveAt, uriAt,
  type DavContext,
} from '../context.ts';
import { readXmlBody } from '../body.ts';
import { DavError } from '../errors.ts';
import { coreToken, covers, evaluateIf, parseIfHeader, wireToken } from '../locking.ts';
import { activeLockXml } from '../props.ts';
import { header, xmlReply, type DavReply, type DavRequest } from '../types.ts';
import { childElements, DAV_NS, serializeFragment, type XmlElement } from '../xml.ts';

/** Lock lifetime when the client asks for none, and the longest we grant (seconds). */
export const DEFAULT_LOCK_TIMEOUT = 3600;
export const MAX_LOCK_TIMEOUT = 86400;

/** `Timeout: Infinite, Second-4100000000` → seconds (first usable entry, capped). */
export function parseTimeout(v: string | undefined): number {
  if (!v) return DEFAULT_LOCK_TIMEOUT;
  for (const part of v.split(',').map((s) => s.trim().toLowerCase())) {
    if (part === 'infinite') return MAX_LOCK_TIMEOUT;
    const m = /^second-(\d+)$/.exec(part);
    if (m) return Math.max(1, Math.min(MAX_LOCK_TIMEOUT, Number(m[1])));
  }
  return DEFAULT_LOCK_TIMEOUT;
}

function parseLockDepth(v: string | undefined): 0 | 'infinity' {
  if (v === undefined) return 'infinity';
  const d = v.trim().toLowerCase();
  if (d === '0') return 0;
  if (d === 'infinity') return 'infinity';
  throw new DavError(400, 'LOCK takes Depth 0 or infinity');
}

interface LockInfo { shared: boolean; ownerXml: string }

function parseLockInfo(root: XmlElement): LockInfo {
  if (root.ns !== DAV_NS || root.local !== 'lockinfo') throw new DavError(400, 'Body must be a DAV:lockinfo element');
  const scope = childElements(root, DAV_NS, 'lockscope')[0];
  const type = childElements(root, DAV_NS, 'locktype')[0];
  const scopeKind = scope ? childElements(scope).find((c) => c.ns === DAV_NS && (c.local === 'exclusive' || c.local === 'shared'))?.local : undefined;
  if (!scopeKind) throw new DavError(400, 'lockinfo needs lockscope exclusive or shared');
  if (!type || !childElements(type, DAV_NS, 'write').length) throw new DavError(400, 'Only write locks are supported');
  const owner = childElements(root, DAV_NS, 'owner')[0];
  return { shared: scopeKind === 'shared', ownerXml: owner ? serializeFragment(owner.children) : '' };
}

const lockBody = (dc: DavContext, l: LockEntry, fallbackRoot: string) =>
  `<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLockXml(dc, l, fallbackRoot)}</D:lockdiscovery></D:prop>`;

/**
 * LOCK (RFC 4918 §9.10): a new exclusive or shared write lock in the core's lock service (app
 * `dav`, so it blocks REST edits), or — with an empty body — a refresh of the locks named in the
 * If header. Locking a missing resource creates an empty file (201).
 */
export async function lock(dc: DavContext, req: DavRequest): Promise<DavReply> {
  const body = await readXmlBody(req.body);
  const timeout = parseTimeout(header(req.headers, 'timeout'));
  if (!body) return refresh(dc, req, timeout);

  const info = parseLockInfo(body);
  const depth = parseLockDepth(header(req.headers, 'depth'));
  const r = await resolveAt(dc, req.elements);
  const name = req.elements[req.elements.length - 1];
  if (r.file && name !== undefined && hidesSystemFiles(dc) && isSystemFileName(name)) throw new DavError(404, 'Not found');
  if (!r.file) {
    if (name === undefined) throw new DavError(404, 'Not found');
    refuseSystemFile(dc, name);
    requireParentFolder(r);
  }
  requireCaps(r.nav.caps, Cap.LockFile);
  dc.fm.requireOwner(dc.user, r);
  await evaluateIf(dc, header(req.headers, 'if'), req.elements);

  const request = { ...lockReq(dc, r, 'dav', depth), shared: info.shared, innerXml: info.ownerXml || undefined };
  const handle = await dc.fm.locks.acquire(lockNs(dc), dc.user.row.id, [request], { ttlSeconds: timeout, waitMs: 2000 });
  const token = handle.tokens[0]!;
  let created = false;
  if (!r.file) {
    try {
      await createObject(dc.fm, dc.user, uriAt(dc, req.elements), { type: FileType.File, onExisting: 'return', tokens: [token] });
      created = true;
    } catch (e) {
      await handle.release().catch(() => undefined);
      throw e;
    }
  }
  const entry = await dc.fm.locks.get(token);
  if (!entry) throw new DavError(500, 'Lock vanished');
  const href = hrefFor(req.elements, r.file);
  return xmlReply(created ? 201 : 200, lockBody(dc, entry, href), { 'Lock-Token': `<${wireToken(token)}>` });
}

async function refresh(dc: DavContext, req: DavRequest, timeout: number): Promise<DavReply> {
  const ifHeader = header(req.headers, 'if');
  if (!ifHeader) throw new DavError(400, 'A lock refresh needs an If header with the lock token');
  await evaluateIf(dc, ifHeader, req.elements);
  const path = lockPathAt(dc, req.elements);
  let refreshed: LockEntry | undefined;
  for (const list of parseIfHeader(ifHeader)) {
    for (const c of list.conditions) {
      const t = c.token && !c.not ? coreToken(c.token) : undefined;
      if (!t) continue;
      const e = await dc.fm.locks.get(t);
      if (!e || e.ns !== lockNs(dc) || e.holder !== dc.user.row.id || e.app !== 'dav' || !covers(e, path)) continue;
      refreshed = await dc.fm.locks.refresh(t, timeout);
    }
  }
  if (!refreshed) throw new DavError(412, 'No lock of yours on this resource matches the If header', { condition: 'lock-token-matches-request-uri' });
  const r = await resolveAt(dc, req.elements);
  return xmlReply(200, lockBody(dc, refreshed, hrefFor(req.elements, r.file)));
}

/** UNLOCK (RFC 4918 §9.11): `Lock-Token: <token>` of a lock covering the resource, held by the caller; 204. */
export async function unlock(dc: DavContext, req: DavRequest): Promise<DavReply> {
  const raw = header(req.headers, 'lock-token');
  const m = raw ? /^\s*<([^>]+)>\s*$/.exec(raw) : null;
  if (!m) throw new DavError(400, 'Lock-Token header must be a Coded-URL <token>');
  const token = coreToken(m[1]!);
  const e = token ? await dc.fm.locks.get(token) : undefined;
  if (!e || e.ns !== lockNs(dc) || e.app !== 'dav' || !covers(e, lockPathAt(dc, req.elements))) {
    throw new DavError(409, 'The lock token does not match a lock on this resource', { condition: 'lock-token-matches-request-uri' });
  }
  if (e.holder !== dc.user.row.id) throw new DavError(403, 'The lock belongs to someone else');
  await dc.fm.locks.release([e.token]);
  return { status: 204 };
}

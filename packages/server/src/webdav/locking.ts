import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';
import type { LockEntry, LockRequest } from '../fs/locks.ts';
import type { Resolved } from '../fs/navigator.ts';
import { etagOf, elementsOfLockPath, lockNs, lockPathAt, resolveAt, type DavContext } from './context.ts';
import { DavError } from './errors.ts';
import { hrefOf, parseTaggedResource } from './paths.ts';

/**
 * WebDAV lock tokens and the `If` header (RFC 4918 §6, §10.4). Locks themselves live in the core's
 * LockService, so a WebDAV lock blocks REST edits and REST/upload locks block WebDAV writes.
 */

const TOKEN_PREFIX = 'opaquelocktoken:';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Wire form of a core lock token. */
export const wireToken = (token: string) => `${TOKEN_PREFIX}${token}`;

/** Core token of a wire lock token (`opaquelocktoken:<uuid>`, `urn:uuid:<uuid>` or a bare uuid); undefined when foreign. */
export function coreToken(wire: string): string | undefined {
  let t = wire.trim();
  if (t.toLowerCase().startsWith(TOKEN_PREFIX)) t = t.slice(TOKEN_PREFIX.length);
  else if (t.toLowerCase().startsWith('urn:uuid:')) t = t.slice(9);
  return UUID_RE.test(t) ? t.toLowerCase() : undefined;
}

export interface IfCondition { not: boolean; token?: string; etag?: string }
export interface IfList { resource?: string; conditions: IfCondition[] }

const badIf = (why: string) => new DavError(400, `Malformed If header: ${why}`);

/** Parses an If header into its lists (tagged or not). Malformed → 400. */
export function parseIfHeader(header: string): IfList[] {
  const lists: IfList[] = [];
  let i = 0;
  let resource: string | undefined;
  let tagged: boolean | undefined;
  const ws = () => {
    while (i < header.length && /\s/.test(header[i]!)) i++;
  };
  const until = (close: string) => {
    const end = header.indexOf(close, i + 1);
    if (end < 0) throw badIf(`missing "${close}"`);
    const v = header.slice(i + 1, end);
    i = end + 1;
    return v;
  };
  for (ws(); i < header.length; ws()) {
    const c = header[i];
    if (c === '<') {
      if (tagged === false) throw badIf('resource tag after untagged list');
      tagged = true;
      resource = until('>');
      ws();
      if (header[i] !== '(') throw badIf('resource tag without list');
      continue;
    }
    if (c !== '(') throw badIf('expected "("');
    if (tagged === undefined) tagged = false;
    i++;
    const conditions: IfCondition[] = [];
    for (ws(); header[i] !== ')'; ws()) {
      if (i >= header.length) throw badIf('unterminated list');
      let not = false;
      if (/^not\b/i.test(header.slice(i, i + 4))) {
        not = true;
        i += 3;
        ws();
      }
      if (header[i] === '<') conditions.push({ not, token: until('>') });
      else if (header[i] === '[') conditions.push({ not, etag: until(']') });
      else throw badIf('expected a state token or an entity tag');
    }
    i++;
    if (!conditions.length) throw badIf('empty list');
    lists.push({ resource: tagged ? resource : undefined, conditions });
  }
  if (!lists.length) throw badIf('no lists');
  return lists;
}

/** True when `held` covers the resource at `path` (on it, or an ancestor with infinite depth). */
export function covers(held: LockEntry, path: string[]): boolean {
  if (held.path.length > path.length || !held.path.every((s, i) => path[i] === s)) return false;
  return held.path.length === path.length || held.depth === 'infinity';
}

/** Live WebDAV-visible locks covering `elements`. */
export async function locksCovering(dc: DavContext, elements: readonly string[]): Promise<LockEntry[]> {
  const path = lockPathAt(dc, elements);
  return (await dc.fm.locks.list(lockNs(dc), path)).filter((l) => covers(l, path));
}

export interface IfOutcome {
  /** Core tokens the client submitted that name live locks it holds. */
  tokens: string[];
}

/**
 * Evaluates the If header for a request on `elements` (412 when no list holds) and returns the
 * lock tokens the client has proven it holds. Without an If header nothing is submitted.
 */
export async function evaluateIf(dc: DavContext, header: string | undefined, elements: readonly string[]): Promise<IfOutcome> {
  if (!header || !header.trim()) return { tokens: [] };
  const lists = parseIfHeader(header);
  const states = new Map<string, { etag?: string; locks: LockEntry[] }>();
  const stateOf = async (resource: string | undefined) => {
    const els = resource === undefined ? [...elements] : parseTaggedResource(resource, dc.host);
    const key = els ? els.join('\u0000') : `\u0001${resource}`;
    let s = states.get(key);
    if (!s) {
      if (!els) s = { locks: [] };
      else {
        let r: Resolved | undefined;
        try {
          r = await resolveAt(dc, els);
        } catch {
          r = undefined;
        }
        s = { etag: r?.file ? etagOf(dc, r.file) : undefined, locks: r ? await locksCovering(dc, els) : [] };
      }
      states.set(key, s);
    }
    return s;
  };

  let anyTrue = false;
  for (const list of lists) {
    const s = await stateOf(list.resource);
    const holds = list.conditions.every((c) => {
      let v: boolean;
      if (c.token !== undefined) {
        const t = coreToken(c.token);
        v = t !== undefined && s.locks.some((l) => l.token === t);
      } else v = s.etag !== undefined && s.etag === c.etag;
      return c.not ? !v : v;
    });
    if (holds) anyTrue = true;
  }
  if (!anyTrue) throw new DavError(412, 'If header precondition failed');

  const tokens = new Set<string>();
  for (const list of lists) {
    for (const c of list.conditions) {
      if (c.not || c.token === undefined) continue;
      const t = coreToken(c.token);
      if (!t) continue;
      const e = await dc.fm.locks.get(t);
      if (e && e.ns === lockNs(dc) && e.holder === dc.user.row.id) tokens.add(t);
    }
  }
  return { tokens: [...tokens] };
}

/**
 * Tokens that lift conflicts for a write to `paths`: the submitted ones, plus the other shared
 * locks on a resource the client already holds a shared lock on (one shared token is enough to
 * write, RFC 4918 §6.2).
 */
export async function effectiveTokens(dc: DavContext, submitted: string[], paths: string[][]): Promise<string[]> {
  if (!submitted.length) return submitted;
  const out = new Set(submitted);
  for (const path of paths) {
    const live = (await dc.fm.locks.list(lockNs(dc), path)).filter((l) => covers(l, path));
    if (live.some((l) => l.shared && out.has(l.token))) for (const l of live) if (l.shared) out.add(l.token);
  }
  return [...out];
}

/** 423 with `lock-token-submitted` unless writing `reqs` is allowed with `tokens`. */
export async function requireWritable(dc: DavContext, reqs: LockRequest[], tokens: string[]): Promise<void> {
  try {
    await dc.fm.locks.confirm(lockNs(dc), dc.user.row.id, reqs, tokens);
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== Code.LockConflict) throw e;
    const blocking = await blockingLocks(dc, reqs, tokens);
    const hrefs = blocking.map((l) => {
      const els = elementsOfLockPath(dc, l.path);
      return els ? hrefOf(els, l.fileType === 1) : undefined;
    }).filter((h): h is string => !!h);
    const body = [...new Set(hrefs)].map((h) => `<D:href>${h}</D:href>`).join('');
    throw new DavError(423, 'Locked', { condition: 'lock-token-submitted', conditionBody: body, cause: e });
  }
}

async function blockingLocks(dc: DavContext, reqs: LockRequest[], tokens: string[]): Promise<LockEntry[]> {
  const held = new Set(tokens);
  const out: LockEntry[] = [];
  for (const r of reqs) {
    for (const l of await dc.fm.locks.list(lockNs(dc), r.path)) {
      if (held.has(l.token)) continue;
      const related = covers(l, r.path) || (r.depth === 'infinity' && l.path.length > r.path.length && r.path.every((s, i) => l.path[i] === s));
      if (related && !(l.shared && r.shared)) out.push(l);
    }
  }
  return out;
}

/** Releases every lock at or below `elements` (after DELETE / MOVE of the resource). */
export async function dropLocksBelow(dc: DavContext, elements: readonly string[]): Promise<void> {
  const path = lockPathAt(dc, elements);
  const below = (await dc.fm.locks.list(lockNs(dc), path)).filter((l) => l.path.length >= path.length && path.every((s, i) => l.path[i] === s));
  if (below.length) await dc.fm.locks.release(below.filter((l) => l.app === 'dav').map((l) => l.token));
}

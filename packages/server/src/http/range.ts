/**
 * HTTP byte ranges and conditional requests (RFC 9110 §13, §14) for blob responses. Pure functions;
 * the content route applies the outcome.
 */

export interface ResolvedRange { start: number; end: number }

export type RangeOutcome =
  | { kind: 'full' }
  | { kind: 'partial'; range: ResolvedRange }
  | { kind: 'unsatisfiable' };

/**
 * Parses a `Range` header against a representation of `size` bytes. One range is served as 206;
 * several ranges, syntax errors or non-byte units are ignored (full 200, which RFC 9110 allows);
 * a syntactically valid single range starting at or beyond the end is 416. Empty bodies ignore ranges.
 */
export function parseRange(header: string | undefined, size: number): RangeOutcome {
  if (!header || size === 0) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return { kind: 'full' };
  const specs = m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
  if (specs.length !== 1) return { kind: 'full' };
  const r = /^(\d*)\s*-\s*(\d*)$/.exec(specs[0]!);
  if (!r || (r[1] === '' && r[2] === '')) return { kind: 'full' };
  if (r[1] === '') {
    const suffix = Number(r[2]);
    if (!Number.isSafeInteger(suffix)) return { kind: 'full' };
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(r[1]);
  const end = r[2] === '' ? Number.MAX_SAFE_INTEGER : Number(r[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } };
}

export interface Validators {
  /** Strong ETag including quotes, e.g. `"Xa3k"`. */
  etag: string;
  /** Epoch ms. */
  lastModified: number;
}

export interface ConditionalHeaders {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
  ifRange?: string;
}

const tagList = (h: string) => h.split(',').map((s) => s.trim()).filter(Boolean);
const weakEq = (a: string, b: string) => a.replace(/^W\//, '') === b.replace(/^W\//, '');
const secs = (ms: number) => Math.floor(ms / 1000);

function parseDate(h: string | undefined): number | undefined {
  if (!h) return undefined;
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Evaluates the preconditions in RFC 9110 §13.2.2 order for GET/HEAD: 412 when If-Match /
 * If-Unmodified-Since fail, 304 when If-None-Match / If-Modified-Since say the client's copy is
 * current, otherwise proceed.
 */
export function evaluatePreconditions(h: ConditionalHeaders, v: Validators): 'proceed' | 'not_modified' | 'precondition_failed' {
  if (h.ifMatch !== undefined) {
    const tags = tagList(h.ifMatch);
    if (!tags.includes('*') && !tags.some((t) => !t.startsWith('W/') && t === v.etag)) return 'precondition_failed';
  } else {
    const since = parseDate(h.ifUnmodifiedSince);
    if (since !== undefined && secs(v.lastModified) > secs(since)) return 'precondition_failed';
  }
  if (h.ifNoneMatch !== undefined) {
    const tags = tagList(h.ifNoneMatch);
    if (tags.includes('*') || tags.some((t) => weakEq(t, v.etag))) return 'not_modified';
  } else {
    const since = parseDate(h.ifModifiedSince);
    if (since !== undefined && secs(v.lastModified) <= secs(since)) return 'not_modified';
  }
  return 'proceed';
}

/** If-Range: the Range applies only when the validator still matches (strong ETag or exact date). */
export function ifRangeAllows(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true;
  const s = ifRange.trim();
  if (s.startsWith('"') || s.startsWith('W/')) return !s.startsWith('W/') && s === v.etag;
  const d = parseDate(s);
  return d !== undefined && secs(d) === secs(v.lastModified);
}

/** RFC 3339 with fractional seconds and the server's UTC offset (contract 00 §9). */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms <= 0) return '0001-01-01T00:00:00Z';
  const off = offsetMinutes(ms);
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const local = new Date(ms + off * 60_000);
  const base = local.toISOString().slice(0, 23);
  if (off === 0) return `${base}Z`;
  return `${base}${off > 0 ? '+' : '-'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Parses any RFC 3339 timestamp to epoch ms; undefined when invalid. */
export function parseTime(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Local UTC offsets by hour: getTimezoneOffset is a time-zone database lookup, and offsets only change on the hour or half hour (15 min buckets are exact). */
const offsets = new Map<number, number>();

function offsetMinutes(ms: number): number {
  const bucket = Math.floor(ms / 900_000);
  let off = offsets.get(bucket);
  if (off === undefined) {
    off = -new Date(ms).getTimezoneOffset();
    if (offsets.size >= 100_000) offsets.clear();
    offsets.set(bucket, off);
  }
  return off;
}

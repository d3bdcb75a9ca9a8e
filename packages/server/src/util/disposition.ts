/**
 * Content-Disposition for user-named downloads. Names are arbitrary user input: the quoted
 * `filename` fallback keeps only printable ASCII (no quotes, backslashes or control characters, so
 * the header can never be split or broken), and `filename*` carries the exact UTF-8 name (RFC 6266 /
 * RFC 8187). Contract 30 §2.2: ASCII names get `filename` only, others both.
 */
export function contentDisposition(type: 'attachment' | 'inline', name: string): string {
  const isPlainAscii = /^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name);
  if (isPlainAscii && name !== '') return `${type}; filename="${name}"`;
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/gu, '_') || 'download';
  return `${type}; filename="${fallback}"; filename*=UTF-8''${rfc8187(name)}`;
}

/** RFC 8187 value-chars: attr-char stays, everything else is %-encoded UTF-8. */
function rfc8187(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

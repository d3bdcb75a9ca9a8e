import { percentDecode } from '../fs/uri.ts';
import { nameViolation } from '../fs/names.ts';
import { DavError } from './errors.ts';

/** Where the WebDAV server is mounted (contract 50 §2.1). */
export const DAV_PREFIX = '/dav';

/**
 * Turns the raw request path (still percent-encoded) into path elements below the account root.
 *
 * This is the one gate for untrusted WebDAV paths: every segment is decoded exactly once, and a
 * segment that decodes to `.`/`..`, contains `/` (from `%2F`), a control character or is not valid
 * UTF-8 is refused with 400 — so no request can address anything outside the account root.
 * Empty segments (`//`, trailing `/`) are ignored. Names that are merely unusual (`%2e%2e` typed
 * literally as `%252e%252e`, `#`, `%`, spaces, any Unicode) stay names inside the root.
 */
export function parseDavPath(rawPath: string): string[] {
  const q = rawPath.indexOf('?');
  let path = q < 0 ? rawPath : rawPath.slice(0, q);
  // Node hands over the request line as latin1; a client that sent raw UTF-8 bytes gets them back.
  if (/[\u0080-\u00ff]/.test(path) && !/[^\u0000-\u00ff]/.test(path)) {
    try {
      path = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(path, 'latin1'));
    } catch {
      throw new DavError(400, 'Path is not valid UTF-8');
    }
  }
  if (path !== DAV_PREFIX && !path.startsWith(`${DAV_PREFIX}/`)) throw new DavError(404, 'Not under the WebDAV mount');
  const out: string[] = [];
  for (const seg of path.slice(DAV_PREFIX.length).split('/')) {
    if (seg === '') continue;
    const name = percentDecode(seg);
    if (name === undefined) throw new DavError(400, 'Bad percent-encoding in path');
    if (name === '.' || name === '..') throw new DavError(400, 'Relative path segments are not allowed');
    const problem = nameViolation(name);
    if (problem && (name.includes('/') || /[\u0000-\u001f\u007f-\u009f]/.test(name) || problem === 'Name is not valid Unicode')) {
      throw new DavError(400, `Invalid path segment: ${problem}`);
    }
    out.push(name);
  }
  return out;
}

/** Percent-encodes one name for an href (RFC 3986 path segment; everything else escaped). */
export function encodeSegment(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `/dav/a/b` for a file, `/dav/a/b/` for a folder; the root is `/dav/`. */
export function hrefOf(elements: readonly string[], folder: boolean): string {
  const body = elements.map(encodeSegment).join('/');
  if (!body) return `${DAV_PREFIX}/`;
  return `${DAV_PREFIX}/${body}${folder ? '/' : ''}`;
}

/**
 * Parses a `Destination` header (absolute URL or absolute path). A URL naming another host, or a
 * path outside the mount, cannot be served here: 502 Bad Gateway (RFC 4918 §9.8.5).
 */
export function parseDestination(header: string | undefined, requestHost: string | undefined): string[] {
  if (!header) throw new DavError(400, 'Destination header is required');
  let path: string;
  if (header.startsWith('/')) path = header;
  else {
    let url: URL;
    try {
      url = new URL(header);
    } catch {
      throw new DavError(400, 'Destination is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DavError(400, 'Destination is not an HTTP URL');
    if (requestHost && url.host.toLowerCase() !== requestHost.toLowerCase()) throw new DavError(502, 'Destination is on another server');
    // URL normalises "/a/../b"; take the raw path to apply our own segment rules.
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(header);
    path = m?.[1] || '/';
  }
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (path !== DAV_PREFIX && !path.startsWith(`${DAV_PREFIX}/`)) throw new DavError(502, 'Destination is outside the WebDAV mount');
  return parseDavPath(path);
}

/** Parses a resource URL of an If header tag (same rules as Destination, but never 502). */
export function parseTaggedResource(tag: string, requestHost: string | undefined): string[] | undefined {
  try {
    return parseDestination(tag, requestHost);
  } catch {
    return undefined;
  }
}

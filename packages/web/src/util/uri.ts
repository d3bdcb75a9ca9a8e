/**
 * `cloudreve://` File URIs as the client builds and reads them (contract 20 §1): each path segment
 * is percent-encoded exactly like encodeURIComponent; the host names the file system.
 */
export const MY_ROOT = 'cloudreve://my';
export const TRASH_ROOT = 'cloudreve://trash';
const SCHEME = 'cloudreve://';

export interface ParsedUri {
  /** `my`, `trash`, `share`, `shared_with_me` */
  fs: string;
  /** The authority as written (e.g. `my`, `abc:pwd@share`), used to rebuild URIs. */
  authority: string;
  /** Decoded path segments; empty for the root. */
  segments: string[];
}

export function parseUri(uri: string): ParsedUri | undefined {
  if (!uri.startsWith(SCHEME)) return undefined;
  const rest = uri.slice(SCHEME.length).split(/[?#]/)[0]!;
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const fs = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  if (!fs) return undefined;
  const segments: string[] = [];
  for (const raw of (slash < 0 ? '' : rest.slice(slash + 1)).split('/')) {
    if (!raw) continue;
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      return undefined;
    }
  }
  return { fs, authority, segments };
}

export function buildUri(authority: string, segments: readonly string[]): string {
  return SCHEME + authority + segments.map((s) => '/' + encodeURIComponent(s)).join('');
}

/** The URI of `name` inside the folder `folderUri`. */
export function childUri(folderUri: string, name: string): string {
  return folderUri.replace(/\/+$/, '') + '/' + encodeURIComponent(name);
}

/** The last path segment of a URI (decoded), or '' for a root. */
export function baseName(uri: string): string {
  return parseUri(uri)?.segments.at(-1) ?? '';
}

/** The folder containing `uri` (the root stays the root). */
export function parentUri(uri: string): string {
  const p = parseUri(uri);
  return p ? buildUri(p.authority, p.segments.slice(0, -1)) : uri;
}

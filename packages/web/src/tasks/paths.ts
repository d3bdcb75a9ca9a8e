import { buildUri, MY_ROOT, parseUri } from '../util/uri.ts';

/** "cloudreve://my/a/b" → "/a/b" (what the dialogs show and accept). */
export function uriToPath(uri: string): string {
  return '/' + (parseUri(uri)?.segments ?? []).join('/');
}

/** "/a/b" (or "a/b") → "cloudreve://my/a/b"; undefined for "", "." and ".." segments. */
export function pathToUri(path: string): string | undefined {
  const trimmed = path.trim();
  if (!trimmed.startsWith('/')) return undefined;
  const segments = trimmed.split('/').filter(Boolean);
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  return buildUri('my', segments);
}

/** The folder to open for a task's destination: a folder URI as is, a file's (zip's) parent. */
export function folderOf(uri: string, isFile: boolean): string {
  const p = parseUri(uri);
  if (!p) return MY_ROOT;
  return buildUri(p.authority, isFile ? p.segments.slice(0, -1) : p.segments);
}

/** `/home?path=…` for a folder URI. */
export const explorerLink = (folderUri: string) => `/home?path=${encodeURIComponent(folderUri)}`;

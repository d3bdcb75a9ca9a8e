/**
 * Search as the contract does it (20 §1.6): a listing URI with query parameters. The search box
 * writes them, the explorer lists the URI as usual, and the page URL keeps it (back/forward and
 * bookmarks work).
 */
export const CATEGORIES = ['image', 'video', 'audio', 'document'] as const;
export type SearchCategory = (typeof CATEGORIES)[number];
export type SearchType = 'file' | 'folder';

export interface SearchParams {
  /** Words; every one must occur in the name (case-insensitive). */
  text: string;
  type?: SearchType;
  /** A category replaces every other parameter on the server (the site's category query). */
  category?: SearchCategory;
}

/** `cloudreve://my/a?name=x` → `{ base: 'cloudreve://my/a', search: {...} }`; no search → search undefined. */
export function splitSearch(uri: string): { base: string; search?: SearchParams } {
  const q = uri.indexOf('?');
  if (q < 0) return { base: uri };
  const base = uri.slice(0, q);
  const params = new URLSearchParams(uri.slice(q + 1));
  const category = params.get('category') as SearchCategory | null;
  const type = params.get('type');
  const text = params.getAll('name').join(' ');
  const search: SearchParams = {
    text,
    type: type === 'file' || type === 'folder' ? type : undefined,
    category: category && (CATEGORIES as readonly string[]).includes(category) ? category : undefined,
  };
  return search.text || search.type || search.category ? { base, search } : { base };
}

/** The listing URI of a search under `base` (a folder URI without query); `base` when empty. */
export function searchUri(base: string, p: SearchParams): string {
  const params = new URLSearchParams();
  if (p.category) params.set('category', p.category);
  else {
    const words = p.text.split(/\s+/).filter(Boolean);
    for (const w of words) params.append('name', w);
    if (words.length) params.set('case_folding', '');
    if (p.type) params.set('type', p.type);
  }
  const qs = params.toString();
  return qs ? `${base}?${qs}` : base;
}

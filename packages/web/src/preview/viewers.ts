import { useEffect, useState } from 'react';
import type { ExplorerSiteConfig, FileResponse, Viewer } from '@cloudreve-ts/protocol';
import { FileKind } from '@cloudreve-ts/protocol';
import { fileDetails } from '../api/file-details.ts';
import { extensionOf } from '../util/format.ts';

/**
 * Which built-in previewer opens a file. This module is part of the first bundle (the explorer
 * asks it on every open), so it holds only the extension tables; the previewers are lazy chunks.
 */
export type ViewerKind = 'image' | 'video' | 'audio' | 'pdf' | 'markdown' | 'code';

/** Built-in viewer ids of the site's `file_viewers` setting → our previewer. */
const BY_VIEWER_ID: Record<string, ViewerKind> = {
  image: 'image', video: 'video', music: 'audio', pdf: 'pdf', markdown: 'markdown', monaco: 'code', codemirror: 'code',
};

/** Used when the site sends no `file_viewers` (or before it arrived). */
const DEFAULT_EXTS: Record<ViewerKind, string[]> = {
  image: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg', 'avif', 'ico'],
  video: ['mp4', 'webm', 'mov', 'm4v', 'ogv', 'mkv'],
  audio: ['mp3', 'flac', 'wav', 'ogg', 'oga', 'opus', 'm4a', 'aac'],
  pdf: ['pdf'],
  markdown: ['md', 'markdown'],
  code: [
    'txt', 'log', 'json', 'yaml', 'yml', 'toml', 'ini', 'conf', 'env', 'xml', 'csv', 'tsv', 'html', 'htm', 'css', 'scss',
    'less', 'js', 'mjs', 'cjs', 'jsx', 'ts', 'tsx', 'vue', 'svelte', 'py', 'rb', 'go', 'rs', 'java', 'kt', 'swift', 'c',
    'h', 'cpp', 'cc', 'hpp', 'cs', 'php', 'pl', 'lua', 'r', 'sh', 'bash', 'zsh', 'bat', 'ps1', 'sql', 'dockerfile',
    'makefile', 'gradle', 'properties', 'srt', 'vtt',
  ],
};

/** Largest text file the editor loads (the server's default `maxEditSize`). */
export const MAX_TEXT_BYTES = 50 * 1024 * 1024;

export interface ViewerTable {
  kindOf: Map<string, { kind: ViewerKind; maxSize: number }>;
}

export function buildViewerTable(config: ExplorerSiteConfig | undefined): ViewerTable {
  const kindOf = new Map<string, { kind: ViewerKind; maxSize: number }>();
  const viewers: Viewer[] = config?.file_viewers?.flatMap((g) => g.viewers) ?? [];
  const builtin = viewers.filter((v) => v.type === 'builtin' && BY_VIEWER_ID[v.id]);
  if (!builtin.length) {
    for (const [kind, exts] of Object.entries(DEFAULT_EXTS) as [ViewerKind, string[]][]) {
      for (const e of exts) if (!kindOf.has(e)) kindOf.set(e, { kind, maxSize: 0 });
    }
    return { kindOf };
  }
  for (const v of builtin) {
    if (v.disabled) continue;
    const kind = BY_VIEWER_ID[v.id]!;
    for (const e of v.exts) {
      const ext = e.toLowerCase().replace(/^\./, '');
      if (!kindOf.has(ext)) kindOf.set(ext, { kind, maxSize: v.max_size ?? 0 });
    }
  }
  return { kindOf };
}

/** The previewer for a file, or undefined (folders, unknown types, too large for the viewer). */
export function viewerFor(table: ViewerTable, file: Pick<FileResponse, 'name' | 'type' | 'size'>): ViewerKind | undefined {
  if (file.type !== FileKind.File) return undefined;
  const hit = table.kindOf.get(extensionOf(file.name));
  if (!hit) return undefined;
  if (hit.maxSize > 0 && file.size > hit.maxSize) return undefined;
  if ((hit.kind === 'code' || hit.kind === 'markdown') && file.size > MAX_TEXT_BYTES) return undefined;
  return hit.kind;
}

let configPromise: Promise<ExplorerSiteConfig | undefined> | undefined;

/** The explorer section of the site config, asked once per page load. */
export function useViewerTable(): ViewerTable {
  const [table, setTable] = useState<ViewerTable>(() => buildViewerTable(undefined));
  useEffect(() => {
    let live = true;
    configPromise ??= fileDetails.explorerConfig().catch(() => {
      configPromise = undefined;
      return undefined;
    });
    void configPromise.then((c) => {
      if (live && c) setTable(buildViewerTable(c));
    });
    return () => {
      live = false;
    };
  }, []);
  return table;
}

import { useCallback, useEffect, useRef, useState } from 'react';
import type { FileResponse, ListResponse, NavigatorProps, StoragePolicySummary } from '@cloudreve-ts/protocol';
import { files } from '../api/endpoints.ts';

export type SortField = 'name' | 'size' | 'updated_at';
export interface Sort { by: SortField; direction: 'asc' | 'desc' }

/** Rows asked per page: large enough that scrolling rarely waits, small enough to answer fast. */
export const PAGE_SIZE = 500;

export interface FolderState {
  items: FileResponse[];
  parent?: FileResponse;
  props?: NavigatorProps;
  policy?: StoragePolicySummary;
  nextToken?: string;
  loading: boolean;
  error?: unknown;
  /** False until the first page of the current folder arrived. */
  ready: boolean;
}

const EMPTY: FolderState = { items: [], loading: true, ready: false };

/**
 * The listing of one folder, page by page through next_page_token (contract 20 §3.1). A change
 * of folder or sort order starts over; answers for an earlier folder or order are dropped.
 */
export function useFolder(uri: string, sort: Sort) {
  const [state, setState] = useState<FolderState>(EMPTY);
  const generation = useRef(0);
  const inFlight = useRef<AbortController | null>(null);

  const fetchPage = useCallback(
    async (token: string | undefined, replace: boolean) => {
      const gen = generation.current;
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      setState((s) => ({ ...s, loading: true, error: undefined }));
      try {
        const page: ListResponse = await files.list(
          { uri, page_size: PAGE_SIZE, order_by: sort.by, order_direction: sort.direction, next_page_token: token },
          controller.signal,
        );
        if (gen !== generation.current) return;
        setState((s) => ({
          items: replace ? page.files : [...s.items, ...page.files],
          parent: page.parent,
          props: page.props,
          policy: page.storage_policy,
          nextToken: page.pagination.next_token,
          loading: false,
          ready: true,
        }));
      } catch (error) {
        if ((error as Error)?.name === 'AbortError' || gen !== generation.current) return;
        setState((s) => ({ ...s, loading: false, error, ready: true }));
      }
    },
    [uri, sort.by, sort.direction],
  );

  useEffect(() => {
    generation.current++;
    setState(EMPTY);
    void fetchPage(undefined, true);
    return () => inFlight.current?.abort();
  }, [fetchPage]);

  const loadMore = useCallback(() => {
    if (state.loading || !state.nextToken || state.error) return;
    void fetchPage(state.nextToken, false);
  }, [fetchPage, state.loading, state.nextToken, state.error]);

  /** Reloads from the first page, keeping the old rows on screen until the new ones arrive. */
  const reload = useCallback(() => {
    generation.current++;
    void fetchPage(undefined, true);
  }, [fetchPage]);

  const replaceItem = useCallback((file: FileResponse) => {
    setState((s) => ({ ...s, items: s.items.map((f) => (f.id === file.id ? file : f)) }));
  }, []);

  const removeItems = useCallback((ids: ReadonlySet<string>) => {
    setState((s) => ({ ...s, items: s.items.filter((f) => !ids.has(f.id)) }));
  }, []);

  return { ...state, loadMore, reload, replaceItem, removeItems };
}

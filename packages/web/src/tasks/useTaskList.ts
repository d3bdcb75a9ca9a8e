import { useCallback, useEffect, useRef, useState } from 'react';
import { workflow, isActive, type Task, type TaskCategory } from './api.ts';

const PAGE_SIZE = 20;
const REFRESH_MS = 2500;
/** Tasks finishing elsewhere (a download moving to "finished") show up within this time. */
const IDLE_REFRESH_MS = 10_000;

export interface TaskList {
  tasks: Task[];
  hasMore: boolean;
  loading: boolean;
  error: unknown;
  ready: boolean;
  reload(): void;
  /** Fetches the first page again without clearing the list. */
  refresh(): void;
  loadMore(): void;
  /** Puts a task's new state in place (after a cancel or selection). */
  patch(task: Task): void;
}

/**
 * One category of the caller's tasks, page by page (`next_page_token`). While something is running
 * (and always for "downloading", where new downloads appear) the first page is fetched again every
 * 2.5 s while the tab is visible, otherwise every 10 s; pages further down are kept as loaded.
 */
export function useTaskList(category: TaskCategory): TaskList {
  const [pages, setPages] = useState<Task[][]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [ready, setReady] = useState(false);
  const generation = useRef(0);
  const depth = useRef(0);

  const fetchFirst = useCallback(async (quiet: boolean) => {
    const gen = generation.current;
    if (!quiet) setLoading(true);
    try {
      const res = await workflow.list(category, undefined, PAGE_SIZE);
      if (gen !== generation.current) return;
      setPages((p) => (p.length > 1 ? [res.tasks, ...p.slice(1)] : [res.tasks]));
      // With more pages loaded, the cursor of the last one stays the one to continue from.
      if (depth.current <= 1) setNext(res.pagination.next_token);
      depth.current = Math.max(depth.current, 1);
      setError(null);
      setReady(true);
    } catch (e) {
      if (gen === generation.current && !quiet) setError(e);
    } finally {
      if (gen === generation.current && !quiet) setLoading(false);
    }
  }, [category]);

  const reload = useCallback(() => {
    generation.current++;
    depth.current = 0;
    setPages([]);
    setNext(undefined);
    setReady(false);
    void fetchFirst(false);
  }, [fetchFirst]);

  useEffect(reload, [reload]);

  const loadMore = useCallback(async () => {
    if (!next || loading) return;
    const gen = generation.current;
    setLoading(true);
    try {
      const res = await workflow.list(category, next, PAGE_SIZE);
      if (gen !== generation.current) return;
      depth.current++;
      setPages((p) => [...p, res.tasks]);
      setNext(res.pagination.next_token);
    } catch (e) {
      if (gen === generation.current) setError(e);
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [category, next, loading]);

  const seen = new Set<string>();
  const tasks: Task[] = [];
  for (const page of pages) for (const t of page) if (!seen.has(t.id)) (seen.add(t.id), tasks.push(t));

  const live = category === 'downloading' || tasks.some(isActive);
  const refresh = useRef(fetchFirst);
  refresh.current = fetchFirst;
  useEffect(() => {
    if (!ready) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh.current(true);
    }, live ? REFRESH_MS : IDLE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [live, ready]);

  const patch = useCallback((task: Task) => setPages((p) => p.map((page) => page.map((t) => (t.id === task.id ? task : t)))), []);

  return { tasks, hasMore: Boolean(next), loading, error, ready, reload, refresh: () => void refresh.current(true), loadMore: () => void loadMore(), patch };
}

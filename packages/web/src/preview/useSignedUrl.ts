import { useEffect, useState } from 'react';
import { fileDetails } from '../api/file-details.ts';

export interface Loaded<T> {
  value?: T;
  error?: unknown;
  loading: boolean;
}

/**
 * Runs `load` when `key` changes and keeps the latest answer; answers for an earlier key are
 * dropped. `key` undefined means "nothing to load".
 */
export function useLoad<T>(key: string | undefined, load: (signal: AbortSignal) => Promise<T>): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: Boolean(key) });
  useEffect(() => {
    if (!key) {
      setState({ loading: false });
      return;
    }
    const controller = new AbortController();
    setState({ loading: true });
    load(controller.signal).then(
      (value) => !controller.signal.aborted && setState({ value, loading: false }),
      (error) => !controller.signal.aborted && setState({ error, loading: false }),
    );
    return () => controller.abort();
    // `load` is re-created every render; the key says when the answer changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state;
}

/** The signed inline URL of a file's current version (keyed by its version, so a save refreshes it). */
export function useSignedUrl(uri: string | undefined, version: string | undefined): Loaded<string> {
  return useLoad(uri ? `${uri}#${version ?? ''}` : undefined, () => fileDetails.url(uri!));
}

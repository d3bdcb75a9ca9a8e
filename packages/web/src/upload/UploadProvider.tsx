import { createContext, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { UploadQueue, type UploadTask } from './queue.ts';
import { UploadPanel } from './UploadPanel.tsx';

const QueueContext = createContext<UploadQueue | null>(null);

/** One upload queue per signed-in app; the panel floats over every page. */
export function UploadProvider({ children }: { children: ReactNode }) {
  const queue = useMemo(() => new UploadQueue(), []);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (queue.getSnapshot().some((t) => t.status === 'uploading' || t.status === 'queued')) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [queue]);
  return (
    <QueueContext.Provider value={queue}>
      {children}
      <UploadPanel />
    </QueueContext.Provider>
  );
}

export function useUploadQueue(): UploadQueue {
  const q = useContext(QueueContext);
  if (!q) throw new Error('useUploadQueue outside UploadProvider');
  return q;
}

export function useUploadTasks(): readonly UploadTask[] {
  const q = useUploadQueue();
  return useSyncExternalStore(q.subscribe, q.getSnapshot);
}

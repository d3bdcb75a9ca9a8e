import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Alert, Snackbar, type AlertColor } from '@mui/material';

interface Note { id: number; text: string; severity: AlertColor }
type Notify = (text: string, severity?: AlertColor) => void;

const NotifyContext = createContext<Notify>(() => undefined);

/** One toast at a time, newest replacing the shown one after it closes. */
export function NotifierProvider({ children }: { children: ReactNode }) {
  const [queue, setQueue] = useState<Note[]>([]);
  const [open, setOpen] = useState(true);
  const notify = useCallback<Notify>((text, severity = 'info') => {
    setQueue((q) => [...q.slice(-4), { id: Date.now() + Math.random(), text, severity }]);
    setOpen(true);
  }, []);
  const current = queue[0];
  const value = useMemo(() => notify, [notify]);
  return (
    <NotifyContext.Provider value={value}>
      {children}
      {current && (
        <Snackbar
          key={current.id}
          open={open}
          autoHideDuration={current.severity === 'error' ? 7000 : 4000}
          onClose={(_, reason) => reason !== 'clickaway' && setOpen(false)}
          slotProps={{ transition: { onExited: () => { setQueue((q) => q.slice(1)); setOpen(true); } } }}
          anchorOrigin={{ vertical: 'bottom', horizontal: 'left' }}
        >
          <Alert severity={current.severity} variant="filled" onClose={() => setOpen(false)} sx={{ minWidth: 280 }} data-testid="toast">
            {current.text}
          </Alert>
        </Snackbar>
      )}
    </NotifyContext.Provider>
  );
}

export const useNotify = () => useContext(NotifyContext);

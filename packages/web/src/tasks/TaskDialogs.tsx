import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { Alert, Button, Snackbar, type AlertColor } from '@mui/material';
import { workflow, type Task } from './api.ts';
import { CompressDialog, ExtractDialog, type Item } from './ArchiveDialogs.tsx';
import { RemoteDownloadDialog } from './RemoteDownloadDialog.tsx';
import { useTasksI18n } from './i18n/index.ts';

export type TaskRequest =
  | { kind: 'compress'; items: Item[]; folderUri: string }
  | { kind: 'extract'; file: Item; folderUri: string; here: boolean }
  | { kind: 'download'; folderUri?: string; torrentUri?: string };

interface Toast { id: number; text: string; severity: AlertColor; tab?: string }

export interface TaskDialogsProps {
  request: TaskRequest | null;
  onClose(): void;
  /** Called with the new tasks (the Tasks page reloads its lists). */
  onCreated?(tasks: Task[]): void;
}

/**
 * The compress, extract and remote-download dialogs, and the toast that links to the Tasks page
 * once a task is created. "Extract here" needs no dialog: it is sent right away.
 */
export default function TaskDialogs({ request, onClose, onCreated }: TaskDialogsProps) {
  const { t, tp, err } = useTasksI18n();
  const navigate = useNavigate();
  const [toast, setToast] = useState<Toast | null>(null);
  const sent = useRef<TaskRequest | null>(null);

  const created = (tasks: Task[], text: string, tab: string) => {
    onClose();
    onCreated?.(tasks);
    setToast({ id: Date.now(), text, severity: 'success', tab });
  };

  useEffect(() => {
    if (request?.kind !== 'extract' || !request.here || sent.current === request) return;
    sent.current = request;
    const { file, folderUri } = request;
    onClose();
    workflow.extract({ src: [file.uri], dst: folderUri }).then(
      (task) => created([task], t('archive.extractStarted', { name: file.name }), 'general'),
      (e) => setToast({ id: Date.now(), text: err(e, 'archive'), severity: 'error' }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [request]);

  return (
    <>
      <CompressDialog
        open={request?.kind === 'compress'}
        items={request?.kind === 'compress' ? request.items : EMPTY}
        folderUri={request?.kind === 'compress' ? request.folderUri : ''}
        onClose={onClose}
        onCreated={(task, name) => created([task], t('archive.compressStarted', { name }), 'general')}
      />
      <ExtractDialog
        open={request?.kind === 'extract' && !request.here}
        file={request?.kind === 'extract' ? request.file : null}
        folderUri={request?.kind === 'extract' ? request.folderUri : ''}
        onClose={onClose}
        onCreated={(task, name) => created([task], t('archive.extractStarted', { name }), 'general')}
      />
      <RemoteDownloadDialog
        open={request?.kind === 'download'}
        folderUri={request?.kind === 'download' ? request.folderUri : undefined}
        torrentUri={request?.kind === 'download' ? request.torrentUri : undefined}
        onClose={onClose}
        onCreated={(tasks) => created(tasks, tp('rd.started', tasks.length), 'downloading')}
      />
      <Snackbar
        key={toast?.id}
        open={Boolean(toast)}
        autoHideDuration={toast?.severity === 'error' ? 8000 : 6000}
        onClose={(_, reason) => reason !== 'clickaway' && setToast(null)}
        anchorOrigin={{ vertical: 'bottom', horizontal: 'left' }}
      >
        <Alert
          severity={toast?.severity ?? 'success'}
          variant="filled"
          onClose={() => setToast(null)}
          data-testid="task-toast"
          sx={{ minWidth: 280, alignItems: 'center' }}
          action={toast?.tab && (
            <Button color="inherit" size="small" onClick={() => { const tab = toast.tab; setToast(null); navigate(`/tasks?tab=${tab}`); }} data-testid="task-toast-view">
              {t('toast.view')}
            </Button>
          )}
        >
          {toast?.text}
        </Alert>
      </Snackbar>
    </>
  );
}

const EMPTY: Item[] = [];

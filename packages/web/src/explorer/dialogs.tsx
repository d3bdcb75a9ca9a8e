import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, TextField } from '@mui/material';
import { useI18n, type Translate } from '../i18n/index.tsx';

const FORBIDDEN = /[\\/:*?"<>|]/;

/** The server's name rules (contract 20 §4.1), checked before asking it. */
export function nameProblem(name: string, t: Translate): string | undefined {
  if (!name.trim()) return t('files.nameRequired');
  if (FORBIDDEN.test(name) || name === '.' || name === '..') return t('files.nameInvalid');
  if (new TextEncoder().encode(name).length > 255) return t('files.nameTooLong');
  return undefined;
}

interface NameDialogProps {
  open: boolean;
  title: string;
  label: string;
  initial: string;
  submitLabel: string;
  /** Resolves to an error text to show, or undefined when done. */
  onSubmit(name: string): Promise<string | undefined>;
  onClose(): void;
}

/** Asks for a name (new folder, rename); selects the part before the extension, as desktops do. */
export function NameDialog({ open, title, label, initial, submitLabel, onSubmit, onClose }: NameDialogProps) {
  const { t } = useI18n();
  const [name, setName] = useState(initial);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!open) return;
    setName(initial);
    setError(undefined);
    setBusy(false);
  }, [open, initial]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = nameProblem(name, t);
    if (problem) return setError(problem);
    setBusy(true);
    const failure = await onSubmit(name);
    setBusy(false);
    if (failure) setError(failure);
  };

  return (
    <Dialog
      open={open}
      onClose={busy ? undefined : onClose}
      fullWidth
      maxWidth="xs"
      slotProps={{
        transition: {
          onEntered: () => {
            const el = input.current;
            if (!el) return;
            el.focus();
            const dot = initial.lastIndexOf('.');
            el.setSelectionRange(0, dot > 0 ? dot : initial.length);
          },
        },
      }}
    >
      <form onSubmit={submit} noValidate>
        <DialogTitle>{title}</DialogTitle>
        <DialogContent>
          <TextField
            inputRef={input}
            label={label}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setError(undefined);
            }}
            error={Boolean(error)}
            helperText={error ?? ' '}
            margin="dense"
            slotProps={{ htmlInput: { 'data-testid': 'name-input', spellCheck: false } }}
          />
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose} disabled={busy}>{t('common.cancel')}</Button>
          <Button type="submit" variant="contained" disabled={busy} data-testid="name-submit">{submitLabel}</Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm(): Promise<void>;
  onClose(): void;
}

export function ConfirmDialog({ open, title, message, confirmLabel, danger, onConfirm, onClose }: ConfirmDialogProps) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) setBusy(false);
  }, [open]);
  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth="xs">
      <DialogTitle>{title}</DialogTitle>
      <DialogContent>
        <DialogContentText>{message}</DialogContentText>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} disabled={busy}>{t('common.cancel')}</Button>
        <Button
          variant="contained"
          color={danger ? 'error' : 'primary'}
          disabled={busy}
          autoFocus
          data-testid="confirm-submit"
          onClick={async () => {
            setBusy(true);
            await onConfirm();
            setBusy(false);
          }}
        >
          {confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

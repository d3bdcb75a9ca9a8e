import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import {
  Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, MenuItem, Stack,
  TextField, Typography, useMediaQuery, useTheme,
} from '@mui/material';
import { useNotify } from '../../components/Notifier.tsx';
import { useAdminI18n } from '../i18n/index.ts';

/** A dialog holding a form: validates through `onSubmit` (which returns an error text or nothing). */
export function FormDialog({
  open, title, children, onClose, onSubmit, submitLabel, testId, maxWidth = 'sm', extraActions,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  onClose(): void;
  /** Resolves to an error text to show in the dialog, or undefined when done. */
  onSubmit?(): Promise<string | undefined>;
  submitLabel?: string;
  testId?: string;
  maxWidth?: 'xs' | 'sm' | 'md' | 'lg';
  extraActions?: ReactNode;
}) {
  const { t } = useAdminI18n();
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down('sm'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (open) {
      setBusy(false);
      setError(undefined);
    }
  }, [open]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!onSubmit) return;
    setBusy(true);
    setError(undefined);
    const problem = await onSubmit();
    setBusy(false);
    if (problem) setError(problem);
  };
  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth={maxWidth} fullScreen={phone} data-testid={testId}>
      <form onSubmit={submit} noValidate style={{ display: 'contents' }}>
        <DialogTitle>{title}</DialogTitle>
        <DialogContent dividers>
          {error && <Alert severity="error" sx={{ mb: 2 }} data-testid="dialog-error">{error}</Alert>}
          {children}
        </DialogContent>
        <DialogActions sx={{ px: 3, py: 1.5, flexWrap: 'wrap', gap: 1 }}>
          {extraActions}
          <Box sx={{ flex: 1 }} />
          <Button onClick={onClose} disabled={busy}>{onSubmit ? t('admin.common.cancel') : t('admin.common.close')}</Button>
          {onSubmit && (
            <Button type="submit" variant="contained" disabled={busy} data-testid="dialog-submit">
              {submitLabel ?? t('admin.common.save')}
            </Button>
          )}
        </DialogActions>
      </form>
    </Dialog>
  );
}

/**
 * The end of every edit dialog's submit: show the field problems, or save, say so and close.
 * Returns what FormDialog's onSubmit expects (an error text, or undefined when saved).
 */
export function useSaveDialog<E extends object>(setErrors: (problems: E) => void, onSaved: () => void) {
  const { t, err } = useAdminI18n();
  const notify = useNotify();
  return async (problems: E, save: () => Promise<unknown>): Promise<string | undefined> => {
    setErrors(problems);
    if (Object.keys(problems).length) return t('admin.common.fixErrors');
    try {
      await save();
      notify(t('admin.common.saved'), 'success');
      onSaved();
      return undefined;
    } catch (e) {
      return err(e);
    }
  };
}

/** Asks before a destructive action; the action's error is shown inside the dialog. */
export function ConfirmDialog({
  open, title, message, confirmLabel, onConfirm, onClose, children,
}: {
  open: boolean;
  title: string;
  message: string;
  confirmLabel: string;
  /** Resolves to an error text, or undefined when done (the caller closes the dialog). */
  onConfirm(): Promise<string | undefined>;
  onClose(): void;
  children?: ReactNode;
}) {
  const { t } = useAdminI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (open) {
      setBusy(false);
      setError(undefined);
    }
  }, [open]);
  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth="xs" data-testid="confirm-dialog">
      <DialogTitle>{title}</DialogTitle>
      <DialogContent>
        {error && <Alert severity="error" sx={{ mb: 2 }} data-testid="dialog-error">{error}</Alert>}
        <DialogContentText>{message}</DialogContentText>
        {children}
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} disabled={busy}>{t('admin.common.cancel')}</Button>
        <Button
          variant="contained"
          color="error"
          disabled={busy}
          autoFocus
          data-testid="confirm-submit"
          onClick={async () => {
            setBusy(true);
            const problem = await onConfirm();
            setBusy(false);
            if (problem) setError(problem);
          }}
        >
          {confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

const UNITS = [['B', 1], ['KB', 1024], ['MB', 1024 ** 2], ['GB', 1024 ** 3], ['TB', 1024 ** 4]] as const;

function bestUnit(bytes: number): number {
  for (let i = UNITS.length - 1; i > 0; i--) if (bytes >= UNITS[i]![1] && bytes % UNITS[i]![1] === 0) return i;
  return 0;
}

/** A byte count entered as a number and a unit (B … TB). `error` comes from the caller's checks. */
export function BytesField({ label, value, onChange, error, helperText, testId }: {
  label: string;
  value: number;
  onChange(bytes: number): void;
  error?: boolean;
  helperText?: string;
  testId?: string;
}) {
  const { t } = useAdminI18n();
  const [unit, setUnit] = useState(() => bestUnit(value));
  const [text, setText] = useState(() => String(value / UNITS[bestUnit(value)]![1]));
  useEffect(() => {
    // Follow outside changes (a reset form) without fighting the user's typing.
    if (Math.round(Number(text) * UNITS[unit]![1]) !== value) {
      const u = bestUnit(value);
      setUnit(u);
      setText(String(value / UNITS[u]![1]));
    }
  }, [value]);
  const emit = (raw: string, u: number) => {
    const n = Number(raw);
    onChange(raw.trim() === '' || !Number.isFinite(n) || n < 0 ? NaN : Math.round(n * UNITS[u]![1]));
  };
  return (
    <Stack direction="row" spacing={1}>
      <TextField
        label={label}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          emit(e.target.value, unit);
        }}
        error={error}
        helperText={helperText}
        slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': testId } }}
      />
      <TextField
        select
        label={t('admin.common.unit')}
        value={unit}
        onChange={(e) => {
          const u = Number(e.target.value);
          setUnit(u);
          emit(text, u);
        }}
        sx={{ width: 96, flexShrink: 0 }}
      >
        {UNITS.map(([name], i) => <MenuItem key={name} value={i}>{name}</MenuItem>)}
      </TextField>
    </Stack>
  );
}

/** Label/value rows for a detail view; values may be any node. */
export function Details({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <Box component="dl" sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', sm: '180px 1fr' }, columnGap: 2, rowGap: { xs: 0.25, sm: 1 }, m: 0 }}>
      {rows.map(([k, v]) => (
        <Box key={k} sx={{ display: 'contents' }}>
          <Typography component="dt" variant="body2" color="text.secondary" sx={{ mt: { xs: 1, sm: 0 } }}>{k}</Typography>
          <Typography component="dd" variant="body2" sx={{ m: 0, wordBreak: 'break-all' }}>{v ?? '—'}</Typography>
        </Box>
      ))}
    </Box>
  );
}

/** The object as the API sent it, for fields the views do not show. */
export function RawJson({ value }: { value: unknown }) {
  const { t } = useAdminI18n();
  return (
    <Box component="details" sx={{ mt: 2 }}>
      <Typography component="summary" variant="body2" sx={{ cursor: 'pointer', color: 'text.secondary' }}>{t('admin.common.rawData')}</Typography>
      <Box component="pre" sx={{ fontSize: 12, bgcolor: 'action.hover', p: 1.5, borderRadius: 1, overflow: 'auto', maxHeight: 320 }}>
        {JSON.stringify(value, null, 2)}
      </Box>
    </Box>
  );
}

/** Page heading with actions on the right (wrapping under it on phones). */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', flexWrap: 'wrap', gap: 1, mb: 2 }}>
      <Typography variant="h6" component="h1" sx={{ flex: 1, minWidth: 160 }}>{title}</Typography>
      {children}
    </Box>
  );
}

export const isInt = (s: string) => /^\d+$/.test(s.trim());

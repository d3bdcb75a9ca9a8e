import { useEffect, useState } from 'react';
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, useMediaQuery, useTheme } from '@mui/material';
import { useI18n } from '../i18n/index.tsx';
import { MY_ROOT, parseUri } from '../util/uri.ts';
import { FolderTree } from './FolderTree.tsx';

export interface FolderPickDialogProps {
  open: boolean;
  title: string;
  confirmLabel: string;
  /** The folder preselected (e.g. the one shown). */
  initial?: string;
  /** URIs that cannot be the destination (moved folders, the folder they are in for a move). */
  disabled?: ReadonlySet<string>;
  /** Resolves to an error text to show, or undefined when done. */
  onConfirm(dstUri: string): Promise<string | undefined>;
  onClose(): void;
}

/**
 * Picks a destination folder in "My files" from a tree loaded level by level: move, copy, and
 * "save to my files" from a share.
 */
export function FolderPickDialog({ open, title, confirmLabel, initial, disabled, onConfirm, onClose }: FolderPickDialogProps) {
  const { t } = useI18n();
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down('sm'));
  const [selected, setSelected] = useState(MY_ROOT);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (!open) return;
    setSelected(initial && parseUri(initial)?.fs === 'my' ? initial : MY_ROOT);
    setBusy(false);
    setError(undefined);
  }, [open, initial]);

  const blocked = disabled?.has(selected) ?? false;
  const path = parseUri(selected)?.segments ?? [];

  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth="sm" fullScreen={phone} data-testid="folder-pick-dialog" aria-labelledby="folder-pick-title">
      <DialogTitle id="folder-pick-title">{title}</DialogTitle>
      <DialogContent dividers sx={{ p: 1, minHeight: 280 }}>
        {open && (
          <FolderTree
            root={{ uri: MY_ROOT, name: t('nav.myFiles') }}
            selected={selected}
            onSelect={(uri) => {
              setSelected(uri);
              setError(undefined);
            }}
            disabled={disabled}
          />
        )}
      </DialogContent>
      <Box sx={{ px: 3, pt: 1.5 }}>
        <Box component="span" sx={{ typography: 'body2', color: 'text.secondary' }} data-testid="folder-pick-target">
          {t('move.destination', { path: '/' + path.join('/') })}
        </Box>
        {error && <Alert severity="error" sx={{ mt: 1 }} data-testid="folder-pick-error">{error}</Alert>}
      </Box>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} disabled={busy}>{t('common.cancel')}</Button>
        <Button
          variant="contained"
          disabled={busy || blocked}
          data-testid="folder-pick-submit"
          onClick={async () => {
            setBusy(true);
            const problem = await onConfirm(selected);
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

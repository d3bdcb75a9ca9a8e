import { useEffect, useState, type FormEvent } from 'react';
import {
  Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, ToggleButton, ToggleButtonGroup,
  useMediaQuery, useTheme,
} from '@mui/material';
import LinkIcon from '@mui/icons-material/Link';
import InsertDriveFileOutlinedIcon from '@mui/icons-material/InsertDriveFileOutlined';
import { useI18n } from '../i18n/index.tsx';
import { workflow, type Task } from './api.ts';
import { DestinationField, checkDestination } from './DestinationField.tsx';
import { useTasksI18n } from './i18n/index.ts';
import { pathToUri, uriToPath } from './paths.ts';

type Mode = 'links' | 'torrent';

export interface RemoteDownloadDialogProps {
  open: boolean;
  /** Preselected destination folder URI (the folder shown in the explorer). */
  folderUri?: string;
  /** A .torrent file URI to download with (opens in torrent mode). */
  torrentUri?: string;
  onClose(): void;
  onCreated(tasks: Task[]): void;
}

const LINK = /^(https?:\/\/\S+|magnet:\?\S+)$/i;

/** Lines that are not blank, trimmed. */
const linesOf = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);

/**
 * Starts remote downloads: links (one task per line) or a .torrent file already in My files, into
 * a folder of My files. Checks the input before asking, then shows the server's refusal.
 */
export function RemoteDownloadDialog({ open, folderUri, torrentUri, onClose, onCreated }: RemoteDownloadDialogProps) {
  const { t, err } = useTasksI18n();
  const main = useI18n();
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down('sm'));
  const [mode, setMode] = useState<Mode>('links');
  const [links, setLinks] = useState('');
  const [torrent, setTorrent] = useState('');
  const [dst, setDst] = useState('/');
  const [fieldError, setFieldError] = useState<{ links?: string; torrent?: string; dst?: string }>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setMode(torrentUri ? 'torrent' : 'links');
    setTorrent(torrentUri ? uriToPath(torrentUri) : '');
    setLinks('');
    setDst(folderUri ? uriToPath(folderUri) : '/');
    setFieldError({});
    setFailure(undefined);
    setBusy(false);
  }, [open, folderUri, torrentUri]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const problems: typeof fieldError = {};
    const body: { dst: string; src?: string[]; src_file?: string } = { dst: '' };
    const dest = checkDestination(dst, t);
    if (dest.error) problems.dst = dest.error;
    else body.dst = dest.uri!;
    if (mode === 'links') {
      const lines = linesOf(links);
      const bad = lines.findIndex((l) => !LINK.test(l));
      if (!lines.length) problems.links = t('rd.linksRequired');
      else if (bad >= 0) problems.links = t('rd.linkInvalid', { line: links.split(/\r?\n/).findIndex((l) => l.trim() === lines[bad]) + 1 });
      else body.src = lines;
    } else {
      const uri = torrent.trim() ? pathToUri(torrent.trim().startsWith('/') ? torrent : `/${torrent}`) : undefined;
      if (!torrent.trim() || !uri) problems.torrent = t('rd.torrentRequired');
      else if (!/\.torrent$/i.test(torrent.trim())) problems.torrent = t('rd.torrentNotTorrent');
      else body.src_file = uri;
    }
    setFieldError(problems);
    setFailure(undefined);
    if (Object.keys(problems).length) return;
    setBusy(true);
    try {
      const tasks = await workflow.download(body);
      onCreated(tasks);
    } catch (e2) {
      setFailure(err(e2, 'download'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth="sm" fullScreen={phone} aria-labelledby="rd-title" data-testid="remote-download-dialog">
      <form onSubmit={submit} noValidate style={{ display: 'contents' }}>
        <DialogTitle id="rd-title">{t('rd.title')}</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 0.5 }}>
            <ToggleButtonGroup
              exclusive
              size="small"
              value={mode}
              onChange={(_, v: Mode | null) => v && (setMode(v), setFieldError({}), setFailure(undefined))}
              aria-label={t('rd.mode')}
            >
              <ToggleButton value="links" data-testid="rd-mode-links"><LinkIcon fontSize="small" sx={{ mr: 1 }} />{t('rd.mode.links')}</ToggleButton>
              <ToggleButton value="torrent" data-testid="rd-mode-torrent"><InsertDriveFileOutlinedIcon fontSize="small" sx={{ mr: 1 }} />{t('rd.mode.torrent')}</ToggleButton>
            </ToggleButtonGroup>
            {mode === 'links' ? (
              <TextField
                label={t('rd.links')}
                value={links}
                onChange={(e) => { setLinks(e.target.value); setFieldError((f) => ({ ...f, links: undefined })); }}
                multiline
                minRows={4}
                maxRows={10}
                autoFocus
                error={Boolean(fieldError.links)}
                helperText={fieldError.links ?? t('rd.linksHint')}
                placeholder={'https://example.com/file.iso\nmagnet:?xt=urn:btih:…'}
                // One link per row, never wrapped: a long magnet stays one visual line.
                slotProps={{ htmlInput: { 'data-testid': 'rd-links', spellCheck: false, wrap: 'off', style: { overflowX: 'auto' } } }}
              />
            ) : (
              <TextField
                label={t('rd.torrent')}
                value={torrent}
                onChange={(e) => { setTorrent(e.target.value); setFieldError((f) => ({ ...f, torrent: undefined })); }}
                error={Boolean(fieldError.torrent)}
                helperText={fieldError.torrent ?? t('rd.torrentHint')}
                slotProps={{ htmlInput: { 'data-testid': 'rd-torrent', spellCheck: false } }}
              />
            )}
            <DestinationField value={dst} onChange={(v) => { setDst(v); setFieldError((f) => ({ ...f, dst: undefined })); }} error={fieldError.dst} testId="rd-dst" />
            {failure && <Alert severity="error" data-testid="rd-error">{failure}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose} disabled={busy}>{main.t('common.cancel')}</Button>
          <Button type="submit" variant="contained" aria-busy={busy} data-testid="rd-submit">{t('rd.submit')}</Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

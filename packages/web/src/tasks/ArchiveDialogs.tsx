import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import {
  Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, IconButton, InputAdornment, MenuItem, Stack, TextField,
  useMediaQuery, useTheme,
} from '@mui/material';
import VisibilityOutlinedIcon from '@mui/icons-material/VisibilityOutlined';
import VisibilityOffOutlinedIcon from '@mui/icons-material/VisibilityOffOutlined';
import { nameProblem } from '../explorer/dialogs.tsx';
import { useI18n } from '../i18n/index.tsx';
import { extensionOf } from '../util/format.ts';
import { childUri } from '../util/uri.ts';
import { workflow, type Task } from './api.ts';
import { DestinationField, checkDestination } from './DestinationField.tsx';
import { useTasksI18n } from './i18n/index.ts';
import { uriToPath } from './paths.ts';

export interface Item { name: string; uri: string; folder: boolean }

/** Encodings offered for legacy zip entry names (labels TextDecoder knows). */
/** The select's value for "no encoding sent" (an empty value would render the select as blank). */
const AUTO = 'auto';
const ENCODINGS = ['gbk', 'gb18030', 'big5', 'shift_jis', 'euc-jp', 'euc-kr', 'windows-1251', 'windows-1252', 'iso-8859-2'];

/** "report.final.pdf" → "report.final"; "pack.tar.gz" → "pack"; folders keep their name. */
export function stem(item: { name: string; folder?: boolean }): string {
  if (item.folder) return item.name;
  const m = /^(.+?)(\.tar)?\.[^.]+$/i.exec(item.name);
  return m?.[1] || item.name;
}

function FormDialog({ open, busy, title, testId, onClose, onSubmit, submitLabel, children }: {
  open: boolean; busy: boolean; title: string; testId: string; submitLabel: string;
  onClose(): void; onSubmit(e: FormEvent): void; children: ReactNode;
}) {
  const { t } = useI18n();
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down('sm'));
  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth="sm" fullScreen={phone} aria-labelledby={`${testId}-title`} data-testid={testId}>
      <form onSubmit={onSubmit} noValidate style={{ display: 'contents' }}>
        <DialogTitle id={`${testId}-title`} sx={{ overflowWrap: 'anywhere' }}>{title}</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>{children}</Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose} disabled={busy}>{t('common.cancel')}</Button>
          {/* Not disabled while busy: a focused button that turns disabled drops the focus out of the dialog (Escape then does nothing). */}
          <Button type="submit" variant="contained" aria-busy={busy} data-testid={`${testId}-submit`}>{submitLabel}</Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

export interface CompressDialogProps {
  open: boolean;
  items: Item[];
  folderUri: string;
  onClose(): void;
  onCreated(task: Task, name: string): void;
}

/** Name and destination of a new zip of the selected items (POST /workflow/archive). */
export function CompressDialog({ open, items, folderUri, onClose, onCreated }: CompressDialogProps) {
  const { t, tp, err } = useTasksI18n();
  const main = useI18n();
  const [name, setName] = useState('');
  const [dst, setDst] = useState('/');
  const [errors, setErrors] = useState<{ name?: string; dst?: string }>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    const folderName = uriToPath(folderUri).split('/').filter(Boolean).at(-1);
    setName(`${items.length === 1 ? stem(items[0]!) : folderName || 'archive'}.zip`);
    setDst(uriToPath(folderUri));
    setErrors({});
    setFailure(undefined);
    setBusy(false);
  }, [open, items, folderUri]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const problems: typeof errors = {};
    const dest = checkDestination(dst, t);
    problems.name = nameProblem(name, main.t) ?? (extensionOf(name) !== 'zip' ? t('archive.mustZip') : undefined);
    problems.dst = dest.error;
    setErrors(problems);
    setFailure(undefined);
    if (problems.name || problems.dst) return;
    setBusy(true);
    try {
      const task = await workflow.createArchive(items.map((i) => i.uri), childUri(dest.uri!, name.trim()));
      onCreated(task, name.trim());
    } catch (e2) {
      setFailure(err(e2, 'archive'));
    } finally {
      setBusy(false);
    }
  };

  const first = items[0]?.name ?? '';
  return (
    <FormDialog open={open} busy={busy} title={tp('archive.compressTitle', items.length, { name: first })} testId="compress-dialog" submitLabel={t('archive.compress')} onClose={onClose} onSubmit={submit}>
      <TextField
        label={t('archive.name')}
        value={name}
        autoFocus
        onChange={(e) => { setName(e.target.value); setErrors((x) => ({ ...x, name: undefined })); }}
        error={Boolean(errors.name)}
        helperText={errors.name ?? ' '}
        slotProps={{ htmlInput: { 'data-testid': 'compress-name', spellCheck: false } }}
      />
      <DestinationField value={dst} onChange={(v) => { setDst(v); setErrors((x) => ({ ...x, dst: undefined })); }} error={errors.dst} testId="compress-dst" />
      {failure && <Alert severity="error" data-testid="compress-error">{failure}</Alert>}
    </FormDialog>
  );
}

export interface ExtractDialogProps {
  open: boolean;
  file: Item | null;
  folderUri: string;
  onClose(): void;
  onCreated(task: Task, name: string): void;
}

/** Destination, name encoding (zip) and password of an extraction (POST /workflow/extract). */
export function ExtractDialog({ open, file, folderUri, onClose, onCreated }: ExtractDialogProps) {
  const { t, err } = useTasksI18n();
  const [dst, setDst] = useState('/');
  const [encoding, setEncoding] = useState(AUTO);
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [dstError, setDstError] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const isZip = file ? extensionOf(file.name) === 'zip' : false;

  useEffect(() => {
    if (!open || !file) return;
    const here = uriToPath(folderUri);
    setDst(`${here.replace(/\/$/, '')}/${stem(file)}`);
    setEncoding(AUTO);
    setPassword('');
    setShowPassword(false);
    setDstError(undefined);
    setFailure(undefined);
    setBusy(false);
  }, [open, file, folderUri]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || busy) return;
    const dest = checkDestination(dst, t);
    setDstError(dest.error);
    setFailure(undefined);
    if (dest.error) return;
    setBusy(true);
    try {
      const task = await workflow.extract({
        src: [file.uri], dst: dest.uri!,
        ...(isZip && encoding !== AUTO ? { encoding } : {}),
        ...(password ? { password } : {}),
      });
      onCreated(task, file.name);
    } catch (e2) {
      setFailure(err(e2, 'archive'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormDialog open={open} busy={busy} title={t('archive.extractTitle', { name: file?.name ?? '' })} testId="extract-dialog" submitLabel={t('archive.extract')} onClose={onClose} onSubmit={submit}>
      <DestinationField value={dst} onChange={(v) => { setDst(v); setDstError(undefined); }} error={dstError} testId="extract-dst" />
      {isZip && (
        <TextField
          select
          label={t('archive.encoding')}
          value={encoding}
          onChange={(e) => setEncoding(e.target.value)}
          helperText={t('archive.encodingHint')}
          slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'extract-encoding' } as object } }}
        >
          <MenuItem value={AUTO}>{t('archive.encodingAuto')}</MenuItem>
          {ENCODINGS.map((enc) => <MenuItem key={enc} value={enc}>{enc.toUpperCase()}</MenuItem>)}
        </TextField>
      )}
      <TextField
        label={t('archive.password')}
        type={showPassword ? 'text' : 'password'}
        value={password}
        autoComplete="off"
        onChange={(e) => setPassword(e.target.value)}
        helperText={t('archive.passwordHint')}
        slotProps={{
          htmlInput: { 'data-testid': 'extract-password' },
          input: {
            endAdornment: (
              <InputAdornment position="end">
                <IconButton onClick={() => setShowPassword((v) => !v)} aria-label={t('archive.showPassword')} edge="end">
                  {showPassword ? <VisibilityOffOutlinedIcon /> : <VisibilityOutlinedIcon />}
                </IconButton>
              </InputAdornment>
            ),
          },
        }}
      />
      {failure && <Alert severity="error" data-testid="extract-error">{failure}</Alert>}
    </FormDialog>
  );
}

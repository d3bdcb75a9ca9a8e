import { useEffect, useState, type FormEvent } from 'react';
import {
  Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, IconButton, InputAdornment,
  MenuItem, Stack, Switch, TextField, Tooltip, Typography, useMediaQuery, useTheme,
} from '@mui/material';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import { describeError } from '../api/errors.ts';
import { shares, type Share, type ShareSettings } from '../api/share.ts';
import { useNotify } from '../components/Notifier.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import { copyText } from './clipboard.ts';

const EXPIRY_CHOICES: { seconds: number; key: MessageKey }[] = [
  { seconds: 3600, key: 'share.expiry.hour' },
  { seconds: 86400, key: 'share.expiry.day' },
  { seconds: 7 * 86400, key: 'share.expiry.week' },
  { seconds: 30 * 86400, key: 'share.expiry.month' },
];
const PASSWORD_RULE = /^[A-Za-z0-9]{0,32}$/;

export interface ShareTarget {
  uri: string;
  name: string;
  folder: boolean;
}

interface ShareDialogProps {
  open: boolean;
  target: ShareTarget | null;
  /** Editing an existing link (owner view from "My shares"); creating one otherwise. */
  existing?: Share;
  onClose(): void;
  /** After a successful create or edit, with the link's URL. */
  onSaved?(url: string): void;
}

interface Form {
  isPrivate: boolean;
  password: string;
  expire: boolean;
  expireSeconds: number;
  limit: boolean;
  downloads: string;
  showReadme: boolean;
  shareView: boolean;
}

function initialForm(existing?: Share): Form {
  const left = existing?.expires ? Math.max(0, Date.parse(existing.expires) - Date.now()) / 1000 : 0;
  const nearest = left > 0 ? EXPIRY_CHOICES.reduce((best, c) => (Math.abs(c.seconds - left) < Math.abs(best.seconds - left) ? c : best)) : EXPIRY_CHOICES[2]!;
  return {
    isPrivate: Boolean(existing?.is_private),
    password: existing?.password ?? '',
    expire: Boolean(existing?.expires),
    expireSeconds: nearest.seconds,
    limit: existing?.remain_downloads !== undefined,
    downloads: String(existing?.remain_downloads ?? 5),
    showReadme: Boolean(existing?.show_readme),
    shareView: Boolean(existing?.share_view),
  };
}

/** Create or edit a share link: password, expiry, download limit, README preview; then copy the link. */
export function ShareDialog({ open, target, existing, onClose, onSaved }: ShareDialogProps) {
  const { t, language } = useI18n();
  const notify = useNotify();
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down('sm'));
  const [form, setForm] = useState<Form>(() => initialForm(existing));
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setForm(initialForm(existing));
    setUrl(null);
    setError(undefined);
    setBusy(false);
  }, [open, existing]);

  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setError(undefined);
  };
  const passwordBad = form.isPrivate && !PASSWORD_RULE.test(form.password);
  const downloadsNum = Number(form.downloads);
  const downloadsBad = form.limit && (!Number.isInteger(downloadsNum) || downloadsNum < 1 || downloadsNum > 1_000_000);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!target || passwordBad || downloadsBad) return;
    const body: ShareSettings = {
      uri: target.uri,
      is_private: form.isPrivate,
      password: form.isPrivate ? form.password : '',
      expire: form.expire ? form.expireSeconds : 0,
      downloads: form.limit ? downloadsNum : 0,
      show_readme: target.folder && form.showReadme,
      share_view: form.shareView,
    };
    setBusy(true);
    try {
      const link = existing ? await shares.edit(existing.id, body) : await shares.create(body);
      setUrl(link);
      onSaved?.(link);
      notify(existing ? t('share.saved') : t('share.created'), 'success');
    } catch (err) {
      setError(describeError(err, t, language));
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!url) return;
    const ok = await copyText(url);
    notify(ok ? t('share.copied') : t('share.copyFailed'), ok ? 'success' : 'error');
  };

  const title = target ? t(existing ? 'share.editTitle' : 'share.title', { name: target.name }) : '';
  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth="xs" fullScreen={phone} aria-labelledby="share-dialog-title" data-testid="share-dialog">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="share-dialog-title" sx={{ overflowWrap: 'anywhere' }}>{title}</DialogTitle>
        <DialogContent>
          {url ? (
            <Stack spacing={2} sx={{ pt: 1 }}>
              <Alert severity="success">{existing ? t('share.saved') : t('share.created')}</Alert>
              <TextField
                label={t('share.link')}
                value={url}
                slotProps={{
                  htmlInput: { readOnly: true, 'data-testid': 'share-link', onFocus: (e: React.FocusEvent<HTMLInputElement>) => e.target.select() },
                  input: {
                    endAdornment: (
                      <InputAdornment position="end">
                        <Tooltip title={t('share.copy')}>
                          <IconButton onClick={() => void copy()} aria-label={t('share.copy')} data-testid="share-copy" edge="end"><ContentCopyIcon /></IconButton>
                        </Tooltip>
                      </InputAdornment>
                    ),
                  },
                }}
              />
              {form.isPrivate && <Typography variant="body2" color="text.secondary">{t('share.passwordInLink')}</Typography>}
            </Stack>
          ) : (
            <Stack spacing={0.5} sx={{ pt: 0.5 }}>
              <FormControlLabel
                control={<Switch checked={form.isPrivate} onChange={(e) => set('isPrivate', e.target.checked)} slotProps={{ input: { ...{ 'data-testid': 'share-private' } } }} />}
                label={t('share.private')}
              />
              {form.isPrivate && (
                <TextField
                  size="small"
                  label={t('share.password')}
                  value={form.password}
                  onChange={(e) => set('password', e.target.value.trim())}
                  error={passwordBad}
                  helperText={passwordBad ? t('share.passwordRule') : t('share.passwordHint')}
                  slotProps={{ htmlInput: { 'data-testid': 'share-password', maxLength: 32, autoComplete: 'off', spellCheck: false } }}
                  sx={{ ml: { xs: 0, sm: 6 }, width: { xs: '100%', sm: 'calc(100% - 48px)' } }}
                />
              )}
              <FormControlLabel
                control={<Switch checked={form.expire} onChange={(e) => set('expire', e.target.checked)} slotProps={{ input: { ...{ 'data-testid': 'share-expire' } } }} />}
                label={t('share.expire')}
              />
              {form.expire && (
                <TextField
                  select
                  size="small"
                  label={t('share.expireAfter')}
                  value={form.expireSeconds}
                  onChange={(e) => set('expireSeconds', Number(e.target.value))}
                  slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'share-expire-select' } as object } }}
                  sx={{ ml: { xs: 0, sm: 6 }, width: { xs: '100%', sm: 'calc(100% - 48px)' } }}
                >
                  {EXPIRY_CHOICES.map((c) => <MenuItem key={c.seconds} value={c.seconds}>{t(c.key)}</MenuItem>)}
                </TextField>
              )}
              <FormControlLabel
                control={<Switch checked={form.limit} onChange={(e) => set('limit', e.target.checked)} slotProps={{ input: { ...{ 'data-testid': 'share-limit' } } }} />}
                label={t('share.limitDownloads')}
              />
              {form.limit && (
                <TextField
                  size="small"
                  type="number"
                  label={t('share.downloads')}
                  value={form.downloads}
                  onChange={(e) => set('downloads', e.target.value)}
                  error={downloadsBad}
                  helperText={downloadsBad ? t('share.downloadsRule') : t('share.downloadsHint')}
                  slotProps={{ htmlInput: { min: 1, 'data-testid': 'share-downloads' } }}
                  sx={{ ml: { xs: 0, sm: 6 }, width: { xs: '100%', sm: 'calc(100% - 48px)' } }}
                />
              )}
              {target?.folder && (
                <FormControlLabel
                  control={<Switch checked={form.showReadme} onChange={(e) => set('showReadme', e.target.checked)} slotProps={{ input: { ...{ 'data-testid': 'share-readme' } } }} />}
                  label={t('share.showReadme')}
                />
              )}
              <FormControlLabel
                control={<Switch checked={form.shareView} onChange={(e) => set('shareView', e.target.checked)} />}
                label={t('share.shareView')}
              />
              {error && <Alert severity="error" data-testid="share-error">{error}</Alert>}
            </Stack>
          )}
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          {url ? (
            <>
              <Button onClick={() => void copy()} startIcon={<ContentCopyIcon />}>{t('share.copy')}</Button>
              <Box sx={{ flex: 1 }} />
              <Button variant="contained" onClick={onClose} data-testid="share-done">{t('common.done')}</Button>
            </>
          ) : (
            <>
              <Button onClick={onClose} disabled={busy}>{t('common.cancel')}</Button>
              <Button type="submit" variant="contained" disabled={busy || passwordBad || downloadsBad} data-testid="share-submit">
                {existing ? t('common.save') : t('share.createLink')}
              </Button>
            </>
          )}
        </DialogActions>
      </form>
    </Dialog>
  );
}

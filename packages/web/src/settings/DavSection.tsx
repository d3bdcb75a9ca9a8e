import { useCallback, useEffect, useState, type FormEvent } from 'react';
import {
  Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, IconButton, InputAdornment, List,
  ListItem, ListItemText, Stack, Switch, TextField, Tooltip, Typography, useMediaQuery, useTheme,
} from '@mui/material';
import AddIcon from '@mui/icons-material/Add';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import EditOutlinedIcon from '@mui/icons-material/EditOutlined';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlineOutlined';
import FolderOpenOutlinedIcon from '@mui/icons-material/FolderOpenOutlined';
import { describeError } from '../api/errors.ts';
import { dav, type DavAccount, type DavAccountBody } from '../api/settings.ts';
import { useSession } from '../auth/session.ts';
import { useNotify } from '../components/Notifier.tsx';
import { ConfirmDialog } from '../explorer/dialogs.tsx';
import { FolderPickDialog } from '../explorer/MoveDialog.tsx';
import { useI18n } from '../i18n/index.tsx';
import { copyText } from '../share/clipboard.ts';
import { Boolset } from '../util/boolset.ts';
import { formatDate } from '../util/format.ts';
import { MY_ROOT, parseUri } from '../util/uri.ts';
import { Section } from './sections.tsx';

const OPT_READONLY = 0;
const OPT_PROXY = 1;
const OPT_NO_SYS_FILES = 2;

const displayPath = (uri: string, rootLabel: string) => {
  const p = parseUri(uri);
  if (!p) return uri;
  return p.fs === 'my' ? `${rootLabel}/${p.segments.join('/')}`.replace(/\/$/, '') : uri;
};

function CopyField({ label, value, testId }: { label: string; value: string; testId: string }) {
  const { t } = useI18n();
  const notify = useNotify();
  return (
    <TextField
      size="small"
      label={label}
      value={value}
      slotProps={{
        htmlInput: { readOnly: true, 'data-testid': testId, style: { fontFamily: 'monospace' } },
        input: {
          endAdornment: (
            <InputAdornment position="end">
              <Tooltip title={t('share.copy')}>
                <IconButton edge="end" aria-label={`${t('share.copy')}: ${label}`} onClick={async () => {
                  const ok = await copyText(value);
                  notify(ok ? t('share.copied') : t('share.copyFailed'), ok ? 'success' : 'error');
                }}><ContentCopyIcon fontSize="small" /></IconButton>
              </Tooltip>
            </InputAdornment>
          ),
        },
      }}
    />
  );
}

function AccountDialog({ open, account, onClose, onSaved }: { open: boolean; account: DavAccount | null; onClose(): void; onSaved(a: DavAccount, created: boolean): void }) {
  const { t, language } = useI18n();
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down('sm'));
  const [form, setForm] = useState<DavAccountBody>({ name: '', uri: MY_ROOT });
  const [picking, setPicking] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    const opts = new Boolset(account?.options);
    setForm(account
      ? { name: account.name, uri: account.uri, readonly: opts.has(OPT_READONLY), proxy: opts.has(OPT_PROXY), disable_sys_files: opts.has(OPT_NO_SYS_FILES) }
      : { name: '', uri: MY_ROOT, readonly: false, proxy: false, disable_sys_files: false });
    setError(undefined);
    setBusy(false);
  }, [open, account]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form.name.trim()) return setError(t('dav.nameRequired'));
    setBusy(true);
    try {
      const saved = account ? await dav.update(account.id, { ...form, name: form.name.trim() }) : await dav.create({ ...form, name: form.name.trim() });
      onSaved(saved, !account);
    } catch (err) {
      setError(describeError(err, t, language));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (key: 'readonly' | 'proxy' | 'disable_sys_files', label: string) => (
    <FormControlLabel control={<Switch checked={Boolean(form[key])} onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.checked }))} />} label={label} />
  );

  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth="xs" fullScreen={phone} aria-labelledby="dav-dialog-title" data-testid="dav-dialog">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="dav-dialog-title">{account ? t('dav.edit') : t('dav.create')}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            <TextField
              size="small"
              label={t('dav.name')}
              value={form.name}
              onChange={(e) => { setForm((f) => ({ ...f, name: e.target.value })); setError(undefined); }}
              slotProps={{ htmlInput: { maxLength: 255, 'data-testid': 'dav-name' } }}
              autoFocus
            />
            <TextField
              size="small"
              label={t('dav.root')}
              value={displayPath(form.uri, t('nav.myFiles'))}
              slotProps={{
                htmlInput: { readOnly: true, 'data-testid': 'dav-root' },
                input: {
                  endAdornment: (
                    <InputAdornment position="end">
                      <Tooltip title={t('dav.pickRoot')}>
                        <IconButton edge="end" onClick={() => setPicking(true)} aria-label={t('dav.pickRoot')} data-testid="dav-pick-root"><FolderOpenOutlinedIcon fontSize="small" /></IconButton>
                      </Tooltip>
                    </InputAdornment>
                  ),
                },
              }}
            />
            <Box sx={{ display: 'flex', flexDirection: 'column' }}>
              {toggle('readonly', t('dav.readonly'))}
              {toggle('proxy', t('dav.proxy'))}
              {toggle('disable_sys_files', t('dav.noSysFiles'))}
            </Box>
            {error && <Alert severity="error" data-testid="dav-error">{error}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose} disabled={busy}>{t('common.cancel')}</Button>
          <Button type="submit" variant="contained" disabled={busy} data-testid="dav-submit">{account ? t('common.save') : t('common.create')}</Button>
        </DialogActions>
      </form>
      <FolderPickDialog
        open={picking}
        title={t('dav.pickRoot')}
        confirmLabel={t('dav.useFolder')}
        initial={form.uri}
        onClose={() => setPicking(false)}
        onConfirm={async (uri) => {
          setForm((f) => ({ ...f, uri }));
          setPicking(false);
          return undefined;
        }}
      />
    </Dialog>
  );
}

/** WebDAV accounts: create (the secret is shown once, with the mount address), edit, delete. */
export function DavSection() {
  const { t, language } = useI18n();
  const notify = useNotify();
  const session = useSession();
  const [accounts, setAccounts] = useState<DavAccount[] | null>(null);
  const [error, setError] = useState<unknown>();
  const [editing, setEditing] = useState<DavAccount | 'new' | null>(null);
  const [created, setCreated] = useState<DavAccount | null>(null);
  const [deleting, setDeleting] = useState<DavAccount | null>(null);
  const mountUrl = `${window.location.origin}/dav/`;

  const load = useCallback(async () => {
    setError(undefined);
    try {
      setAccounts((await dav.list()).accounts);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <Section id="webdav" title={t('dav.title')} description={t('dav.hint', { url: mountUrl })}>
      {Boolean(error) && (
        <Alert severity="error" action={<Button color="inherit" size="small" onClick={() => void load()}>{t('common.retry')}</Button>} sx={{ mb: 2 }}>
          {describeError(error, t, language)}
        </Alert>
      )}
      {accounts && accounts.length === 0 && <Typography color="text.secondary" sx={{ mb: 1.5 }} data-testid="dav-empty">{t('dav.none')}</Typography>}
      {accounts && accounts.length > 0 && (
        <List dense sx={{ border: 1, borderColor: 'divider', borderRadius: 2, mb: 2, py: 0 }}>
          {accounts.map((a, i) => {
            const opts = new Boolset(a.options);
            return (
              <ListItem key={a.id} divider={i < accounts.length - 1} data-testid="dav-row" data-name={a.name} sx={{ pr: 12 }}
                secondaryAction={
                  <Box>
                    <Tooltip title={t('dav.edit')}><IconButton onClick={() => setEditing(a)} aria-label={`${t('dav.edit')}: ${a.name}`} data-testid="dav-row-edit"><EditOutlinedIcon fontSize="small" /></IconButton></Tooltip>
                    <Tooltip title={t('dav.delete')}><IconButton edge="end" color="error" onClick={() => setDeleting(a)} aria-label={`${t('dav.delete')}: ${a.name}`} data-testid="dav-row-delete"><DeleteOutlineIcon fontSize="small" /></IconButton></Tooltip>
                  </Box>
                }
              >
                <ListItemText
                  primary={a.name}
                  secondary={[displayPath(a.uri, t('nav.myFiles')), opts.has(OPT_READONLY) && t('dav.readonlyShort'), formatDate(a.created_at, language)].filter(Boolean).join(' · ')}
                  slotProps={{ primary: { noWrap: true }, secondary: { noWrap: true } }}
                />
              </ListItem>
            );
          })}
        </List>
      )}
      <Button variant="outlined" startIcon={<AddIcon />} onClick={() => setEditing('new')} data-testid="dav-create">{t('dav.create')}</Button>

      <AccountDialog
        open={editing !== null}
        account={editing === 'new' ? null : editing}
        onClose={() => setEditing(null)}
        onSaved={(a, isNew) => {
          setEditing(null);
          setAccounts((list) => (isNew ? [a, ...(list ?? [])] : (list ?? []).map((x) => (x.id === a.id ? a : x))));
          if (isNew) setCreated(a);
          else notify(t('settings.saved'), 'success');
        }}
      />
      <Dialog open={Boolean(created)} onClose={() => setCreated(null)} fullWidth maxWidth="sm" aria-labelledby="dav-created-title" data-testid="dav-created">
        <DialogTitle id="dav-created-title">{t('dav.createdTitle')}</DialogTitle>
        <DialogContent>
          <Alert severity="warning" sx={{ mb: 2 }}>{t('dav.secretOnce')}</Alert>
          <Stack spacing={2}>
            <CopyField label={t('dav.address')} value={mountUrl} testId="dav-mount-url" />
            <CopyField label={t('dav.username')} value={session?.user.email ?? ''} testId="dav-username" />
            <CopyField label={t('dav.password')} value={created?.password ?? ''} testId="dav-secret" />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button variant="contained" onClick={() => setCreated(null)} data-testid="dav-created-done">{t('common.done')}</Button>
        </DialogActions>
      </Dialog>
      <ConfirmDialog
        open={Boolean(deleting)}
        title={t('dav.deleteTitle')}
        message={t('dav.deleteConfirm', { name: deleting?.name ?? '' })}
        confirmLabel={t('dav.delete')}
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          try {
            await dav.remove(deleting.id);
            setAccounts((list) => (list ?? []).filter((x) => x.id !== deleting.id));
            notify(t('dav.deleted'), 'success');
          } catch (err) {
            notify(describeError(err, t, language), 'error');
          }
          setDeleting(null);
        }}
      />
    </Section>
  );
}

import { useCallback, useEffect, useState } from 'react';
import {
  Alert, Box, Button, Chip, CircularProgress, IconButton, List, ListItem, ListItemIcon, ListItemText, Tooltip, Typography,
} from '@mui/material';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import EditOutlinedIcon from '@mui/icons-material/EditOutlined';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlineOutlined';
import OpenInNewIcon from '@mui/icons-material/OpenInNew';
import ShareOutlinedIcon from '@mui/icons-material/ShareOutlined';
import LockOutlinedIcon from '@mui/icons-material/LockOutlined';
import { FileKind } from '@cloudreve-ts/protocol';
import { describeError } from '../api/errors.ts';
import { shares, type Share } from '../api/share.ts';
import { useNotify } from '../components/Notifier.tsx';
import { FileIcon } from '../explorer/FileIcon.tsx';
import { ConfirmDialog } from '../explorer/dialogs.tsx';
import { useI18n } from '../i18n/index.tsx';
import { formatDate } from '../util/format.ts';
import { childUri } from '../util/uri.ts';
import { copyText } from './clipboard.ts';
import { ShareDialog, type ShareTarget } from './ShareDialog.tsx';

const PAGE = 50;

/** "My shares": every link the user made, with copy, edit and delete. */
export default function MySharesPage() {
  const { t, language } = useI18n();
  const notify = useNotify();
  const [items, setItems] = useState<Share[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [editing, setEditing] = useState<{ share: Share; target: ShareTarget } | null>(null);
  const [deleting, setDeleting] = useState<Share | null>(null);

  const load = useCallback(async (token?: string) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await shares.list(PAGE, token);
      setItems((old) => (token ? [...old, ...page.shares] : page.shares));
      setNext(page.pagination.next_token);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const edit = async (share: Share) => {
    try {
      // The list has no source URI; the owner's extended info has it (a file share: its parent).
      const info = await shares.info(share.id, { password: share.password, owner_extended: true });
      if (!info.source_uri) throw new Error('no source');
      const folder = share.source_type === FileKind.Folder;
      setEditing({ share, target: { uri: folder ? info.source_uri : childUri(info.source_uri, share.name ?? ''), name: share.name ?? '', folder } });
    } catch (err) {
      notify(describeError(err, t, language), 'error');
    }
  };

  const copy = async (share: Share) => {
    const ok = await copyText(share.url);
    notify(ok ? t('share.copied') : t('share.copyFailed'), ok ? 'success' : 'error');
  };

  return (
    <Box sx={{ flex: 1, minHeight: 0, overflowY: 'auto', px: { xs: 1, md: 3 }, py: 2 }} data-testid="my-shares">
      <Box sx={{ maxWidth: 960, mx: 'auto' }}>
        <Typography variant="h6" component="h1" sx={{ px: 1, mb: 1.5 }}>{t('share.mine')}</Typography>
        {Boolean(error) && (
          <Alert severity="error" action={<Button color="inherit" size="small" onClick={() => void load()}>{t('common.retry')}</Button>} sx={{ mb: 2 }}>
            {describeError(error, t, language)}
          </Alert>
        )}
        {!loading && !error && !items.length && (
          <Box sx={{ textAlign: 'center', color: 'text.secondary', py: 8 }} data-testid="shares-empty">
            <ShareOutlinedIcon sx={{ fontSize: 56, opacity: 0.4 }} />
            <Typography variant="subtitle1" color="text.primary" sx={{ fontWeight: 600 }}>{t('share.noneYet')}</Typography>
            <Typography variant="body2">{t('share.noneYetHint')}</Typography>
          </Box>
        )}
        {items.length > 0 && (
          <List sx={{ bgcolor: 'background.paper', borderRadius: 3, border: 1, borderColor: 'divider', py: 0 }}>
            {items.map((s, i) => (
              <ListItem
                key={s.id}
                data-testid="share-row"
                data-name={s.name}
                divider={i < items.length - 1}
                sx={{ flexWrap: 'wrap', gap: 1, py: 1.25 }}
                secondaryAction={undefined}
              >
                <ListItemIcon sx={{ minWidth: 44 }}><FileIcon name={s.name ?? ''} folder={s.source_type === FileKind.Folder} /></ListItemIcon>
                <ListItemText
                  sx={{ flex: '1 1 200px', minWidth: 0 }}
                  primary={
                    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, minWidth: 0 }}>
                      <Typography noWrap sx={{ fontWeight: 500 }} title={s.name}>{s.name}</Typography>
                      {s.is_private && <Tooltip title={t('share.private')}><LockOutlinedIcon fontSize="small" color="action" aria-label={t('share.private')} /></Tooltip>}
                      {s.expired && <Chip size="small" color="warning" label={t('share.expired')} data-testid="share-expired" />}
                    </Box>
                  }
                  secondary={[
                    formatDate(s.created_at, language),
                    t('share.views', { count: s.visited }),
                    t('share.downloadsCount', { count: s.downloaded ?? 0 }),
                    s.remain_downloads !== undefined && t('share.downloadsLeft', { count: s.remain_downloads }),
                    s.expires && t('share.expiresOn', { date: formatDate(s.expires, language) }),
                  ].filter(Boolean).join(' · ')}
                  slotProps={{ secondary: { noWrap: false } }}
                />
                <Box sx={{ display: 'flex', gap: 0.5, ml: 'auto' }}>
                  <Tooltip title={t('share.copy')}>
                    <IconButton onClick={() => void copy(s)} aria-label={`${t('share.copy')}: ${s.name}`} data-testid="share-row-copy"><ContentCopyIcon fontSize="small" /></IconButton>
                  </Tooltip>
                  <Tooltip title={t('share.openLink')}>
                    <IconButton component="a" href={s.url} target="_blank" rel="noopener" aria-label={`${t('share.openLink')}: ${s.name}`}><OpenInNewIcon fontSize="small" /></IconButton>
                  </Tooltip>
                  <Tooltip title={t('share.edit')}>
                    <IconButton onClick={() => void edit(s)} aria-label={`${t('share.edit')}: ${s.name}`} data-testid="share-row-edit"><EditOutlinedIcon fontSize="small" /></IconButton>
                  </Tooltip>
                  <Tooltip title={t('share.delete')}>
                    <IconButton onClick={() => setDeleting(s)} aria-label={`${t('share.delete')}: ${s.name}`} data-testid="share-row-delete" color="error"><DeleteOutlineIcon fontSize="small" /></IconButton>
                  </Tooltip>
                </Box>
              </ListItem>
            ))}
          </List>
        )}
        {loading && <Box sx={{ display: 'flex', justifyContent: 'center', py: 3 }}><CircularProgress size={28} aria-label={t('common.loading')} /></Box>}
        {!loading && next && (
          <Box sx={{ display: 'flex', justifyContent: 'center', py: 2 }}>
            <Button onClick={() => void load(next)}>{t('share.loadMore')}</Button>
          </Box>
        )}
      </Box>

      <ShareDialog
        open={Boolean(editing)}
        target={editing?.target ?? null}
        existing={editing?.share}
        onClose={() => setEditing(null)}
        onSaved={() => void load()}
      />
      <ConfirmDialog
        open={Boolean(deleting)}
        title={t('share.deleteTitle')}
        message={t('share.deleteConfirm', { name: deleting?.name ?? '' })}
        confirmLabel={t('share.delete')}
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          try {
            await shares.remove(deleting.id);
            setItems((old) => old.filter((x) => x.id !== deleting.id));
            notify(t('share.deleted'), 'success');
          } catch (err) {
            notify(describeError(err, t, language), 'error');
          }
          setDeleting(null);
        }}
      />
    </Box>
  );
}

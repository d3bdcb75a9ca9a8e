import { useState } from 'react';
import { Box, Chip, IconButton, List, ListItem, ListItemIcon, ListItemText, Menu, MenuItem, Typography } from '@mui/material';
import MoreVertIcon from '@mui/icons-material/MoreVert';
import DownloadOutlinedIcon from '@mui/icons-material/DownloadOutlined';
import RestoreOutlinedIcon from '@mui/icons-material/RestoreOutlined';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlineOutlined';
import { fileDetails, EntityType, type Entity, type FileInfo } from '../api/file-details.ts';
import { describeError } from '../api/errors.ts';
import { useNotify } from '../components/Notifier.tsx';
import { ConfirmDialog } from '../explorer/dialogs.tsx';
import { useI18n } from '../i18n/index.tsx';
import { formatDate, formatSize } from '../util/format.ts';

/** Starts a browser download of a signed URL without leaving the page. */
function startDownload(url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

interface Props {
  info: FileInfo;
  /** Owner of the file: may switch and delete versions. */
  canChange: boolean;
  /** Re-read the file after a change. */
  onChanged(): Promise<void>;
}

/** The file's versions (version entities, newest first): download, make current, delete. */
export function Versions({ info, canChange, onChanged }: Props) {
  const { t, language } = useI18n();
  const notify = useNotify();
  const [menu, setMenu] = useState<{ anchor: HTMLElement; entity: Entity } | null>(null);
  const [confirm, setConfirm] = useState<Entity | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const versions = (info.extended_info?.entities ?? []).filter((e) => e.type === EntityType.Version)
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  const uri = info.path!;

  const run = async (entity: Entity, call: () => Promise<void>, done: string) => {
    setBusy(entity.id);
    try {
      await call();
      await onChanged();
      notify(done, 'success');
    } catch (err) {
      notify(describeError(err, t, language), 'error');
      await onChanged();
    } finally {
      setBusy(null);
    }
  };

  const download = async (entity: Entity) => {
    try {
      const url = await fileDetails.url(uri, { download: true, entity: entity.id });
      if (url) startDownload(url);
    } catch (err) {
      notify(describeError(err, t, language), 'error');
    }
  };

  return (
    <Box data-testid="info-versions">
      <Typography variant="overline" color="text.secondary">{t('info.versions')}</Typography>
      {versions.length === 0 && <Typography variant="body2" color="text.secondary">{t('info.noVersions')}</Typography>}
      <List dense disablePadding aria-label={t('info.versions')}>
        {versions.map((v, i) => {
          const current = v.id === info.primary_entity;
          return (
            <ListItem
              key={v.id}
              disableGutters
              data-testid="info-version"
              data-current={current ? 'true' : 'false'}
              data-entity={v.id}
              secondaryAction={
                <IconButton
                  edge="end"
                  size="small"
                  aria-label={t('info.versionActions', { date: formatDate(v.created_at, language) })}
                  aria-haspopup="menu"
                  disabled={busy !== null}
                  onClick={(e) => setMenu({ anchor: e.currentTarget, entity: v })}
                  data-testid="info-version-menu"
                >
                  <MoreVertIcon fontSize="small" />
                </IconButton>
              }
            >
              <ListItemText
                primary={
                  <Box component="span" sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
                    <span>{formatDate(v.created_at, language)}</span>
                    {current && <Chip size="small" color="primary" label={t('info.current')} sx={{ height: 20 }} />}
                  </Box>
                }
                secondary={[formatSize(v.size), v.created_by?.nickname, i === versions.length - 1 ? t('info.firstVersion') : ''].filter(Boolean).join(' · ')}
              />
            </ListItem>
          );
        })}
      </List>
      <Menu anchorEl={menu?.anchor} open={Boolean(menu)} onClose={() => setMenu(null)}>
        <MenuItem onClick={() => { const e = menu!.entity; setMenu(null); void download(e); }} data-testid="version-download">
          <ListItemIcon><DownloadOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{t('files.download')}</ListItemText>
        </MenuItem>
        {canChange && menu && menu.entity.id !== info.primary_entity && [
          <MenuItem key="current" onClick={() => { const e = menu.entity; setMenu(null); void run(e, () => fileDetails.setCurrentVersion(uri, e.id), t('info.versionRestored')); }} data-testid="version-set-current">
            <ListItemIcon><RestoreOutlinedIcon fontSize="small" /></ListItemIcon>
            <ListItemText>{t('info.setCurrent')}</ListItemText>
          </MenuItem>,
          <MenuItem key="delete" onClick={() => { setConfirm(menu.entity); setMenu(null); }} sx={{ color: 'error.main' }} data-testid="version-delete">
            <ListItemIcon sx={{ color: 'inherit' }}><DeleteOutlineIcon fontSize="small" /></ListItemIcon>
            <ListItemText>{t('info.deleteVersion')}</ListItemText>
          </MenuItem>,
        ]}
      </Menu>
      <ConfirmDialog
        open={Boolean(confirm)}
        title={t('info.deleteVersion')}
        message={confirm ? t('info.deleteVersionConfirm', { date: formatDate(confirm.created_at, language), size: formatSize(confirm.size) }) : ''}
        confirmLabel={t('info.deleteVersion')}
        danger
        onClose={() => setConfirm(null)}
        onConfirm={async () => {
          const e = confirm!;
          setConfirm(null);
          await run(e, () => fileDetails.deleteVersion(uri, e.id), t('info.versionDeleted'));
        }}
      />
    </Box>
  );
}

import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link as RouterLink } from 'react-router';
import { Alert, Box, Button, Chip, CircularProgress, Divider, IconButton, Link, Stack, TextField, Tooltip, Typography } from '@mui/material';
import CloseIcon from '@mui/icons-material/Close';
import CancelIcon from '@mui/icons-material/Cancel';
import { FileKind, type FileResponse } from '@cloudreve-ts/protocol';
import { fileDetails, type FileInfo } from '../api/file-details.ts';
import { describeError } from '../api/errors.ts';
import { useNotify } from '../components/Notifier.tsx';
import { useI18n } from '../i18n/index.tsx';
import { FileIcon } from '../explorer/FileIcon.tsx';
import { thumbnailUrl } from '../explorer/thumbnails.ts';
import { Boolset } from '../util/boolset.ts';
import { formatDate, formatSize } from '../util/format.ts';
import { MY_ROOT, parentUri, parseUri } from '../util/uri.ts';
import { Versions } from './Versions.tsx';

/** Capability bits (contract 20 §1.5) this panel gates on. */
export const InfoCap = { UpdateMetadata: 8, Info: 19, VersionControl: 20 } as const;

const TAG = 'tag:';
/** Metadata the panel shows elsewhere or that only the system uses. */
const HIDDEN_META = /^(tag:|sys:|thumb:|customize:)/;

function Row({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <Box sx={{ display: 'grid', gridTemplateColumns: '112px minmax(0, 1fr)', columnGap: 1.5, py: 0.5 }}>
      <Typography variant="body2" color="text.secondary">{label}</Typography>
      <Typography component="div" variant="body2" sx={{ wordBreak: 'break-word' }} data-testid={testId}>{children}</Typography>
    </Box>
  );
}

interface Props {
  /** The item to describe; undefined shows a hint. */
  file?: FileResponse;
  onClose(): void;
  /** The panel changed the item (tags, current version): the list shows the server's answer. */
  onChanged(file: FileResponse): void;
}

/**
 * Details of one item from GET /file/info?extended (contract 20 §3.2): size, dates, location,
 * storage policy, versions (contract 20 §3.13) and tags (PATCH /file/metadata). Every change is
 * re-read from the server afterwards; a refused change is undone on screen with a message.
 */
export function InfoPanel({ file, onClose, onChanged }: Props) {
  const { t, language } = useI18n();
  const notify = useNotify();
  const [info, setInfo] = useState<FileInfo>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [thumb, setThumb] = useState<string | null>(null);
  const [tagDraft, setTagDraft] = useState('');
  const generation = useRef(0);
  const uri = file?.path;
  const folder = file?.type === FileKind.Folder;

  const load = useCallback(async (): Promise<FileInfo | undefined> => {
    if (!uri) return undefined;
    const gen = ++generation.current;
    setLoading(true);
    try {
      const fresh = await fileDetails.info(uri, { extended: true, folderSummary: folder });
      if (gen !== generation.current) return undefined;
      setInfo(fresh);
      setError(undefined);
      return fresh;
    } catch (err) {
      if (gen === generation.current) setError(err);
      return undefined;
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [uri, folder]);

  useEffect(() => {
    setInfo(undefined);
    setError(undefined);
    setThumb(null);
    setTagDraft('');
    void load();
  }, [load]);

  useEffect(() => {
    if (!file || folder) return;
    const controller = new AbortController();
    thumbnailUrl(file, controller.signal).then((u) => !controller.signal.aborted && setThumb(u), () => undefined);
    return () => controller.abort();
  }, [file, folder]);

  /** Re-reads the item after a change and hands the result to the list. */
  const refresh = useCallback(async () => {
    const fresh = await load();
    if (fresh) {
      const { extended_info: _e, folder_summary: _s, ...plain } = fresh;
      onChanged(plain);
    }
  }, [load, onChanged]);

  const shown = info ?? file;
  const caps = new Boolset(info?.capability ?? file?.capability);
  const canTag = Boolean(info?.owned) && caps.has(InfoCap.UpdateMetadata);
  const tags = Object.entries(shown?.metadata ?? {}).filter(([k]) => k.startsWith(TAG)).map(([k, v]) => ({ name: k.slice(TAG.length), color: v }));
  const otherMeta = Object.entries(shown?.metadata ?? {}).filter(([k]) => !HIDDEN_META.test(k));

  /** Shows the change at once, asks the server, and puts the old metadata back if it refuses. */
  const patchTags = async (patch: { key: string; value?: string; remove?: boolean }) => {
    if (!info || !uri) return;
    const before = info;
    const metadata = { ...(info.metadata ?? {}) };
    if (patch.remove) delete metadata[patch.key];
    else metadata[patch.key] = patch.value ?? '';
    setInfo({ ...info, metadata });
    try {
      await fileDetails.patchMetadata([uri], [patch]);
      await refresh();
    } catch (err) {
      setInfo(before);
      notify(describeError(err, t, language), 'error');
    }
  };

  const addTag = async () => {
    const name = tagDraft.trim();
    if (!name) return;
    setTagDraft('');
    if (tags.some((tg) => tg.name === name)) return;
    await patchTags({ key: TAG + name, value: '' });
  };

  const header = (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 2, py: 1.5 }}>
      <Typography variant="subtitle1" sx={{ fontWeight: 650, flex: 1 }} id="info-panel-title">{t('info.title')}</Typography>
      <Tooltip title={t('info.close')}>
        <IconButton size="small" onClick={onClose} aria-label={t('info.close')} data-testid="info-close"><CloseIcon fontSize="small" /></IconButton>
      </Tooltip>
    </Box>
  );

  if (!file || !shown) {
    return (
      <Box role="complementary" aria-labelledby="info-panel-title" data-testid="info-panel" sx={{ height: '100%', display: 'flex', flexDirection: 'column' }}>
        {header}
        <Divider />
        <Typography variant="body2" color="text.secondary" sx={{ p: 3, textAlign: 'center' }} data-testid="info-empty">{t('info.selectHint')}</Typography>
      </Box>
    );
  }

  const parent = shown.path ? parseUri(parentUri(shown.path)) : undefined;
  const location = parent?.fs === 'my' ? (parent.segments.length ? `/${parent.segments.join('/')}` : t('nav.myFiles')) : parent?.fs === 'trash' ? t('nav.trash') : '';
  const summary = info?.folder_summary;
  const ext = info?.extended_info;

  return (
    <Box role="complementary" aria-labelledby="info-panel-title" data-testid="info-panel" data-name={shown.name} sx={{ height: '100%', display: 'flex', flexDirection: 'column', minHeight: 0 }}>
      {header}
      <Divider />
      <Box sx={{ flex: 1, minHeight: 0, overflowY: 'auto', px: 2, pb: 3 }}>
        <Box sx={{ display: 'flex', flexDirection: 'column', alignItems: 'center', gap: 1, py: 2 }}>
          {thumb ? (
            <Box component="img" src={thumb} alt="" sx={{ maxWidth: '100%', maxHeight: 180, borderRadius: 1.5, objectFit: 'contain' }} data-testid="info-thumbnail" />
          ) : (
            <FileIcon name={shown.name} folder={folder} size={64} />
          )}
          <Typography variant="subtitle1" align="center" sx={{ fontWeight: 600, wordBreak: 'break-word' }} data-testid="info-name">{shown.name}</Typography>
        </Box>
        {error ? <Alert severity="error" sx={{ mb: 1 }} data-testid="info-error">{describeError(error, t, language)}</Alert> : null}

        <Typography variant="overline" color="text.secondary">{t('info.details')}</Typography>
        <Row label={t('info.type')}>{folder ? t('info.folder') : t('info.file')}</Row>
        {folder ? (
          <Row label={t('files.size')} testId="info-size">
            {summary ? `${formatSize(summary.size)} · ${t('info.contains', { files: summary.files, folders: summary.folders })}${summary.completed ? '' : '+'}` : loading ? t('common.loading') : '—'}
          </Row>
        ) : (
          <Row label={t('files.size')} testId="info-size">{formatSize(shown.size)} ({shown.size.toLocaleString(language)} B)</Row>
        )}
        {ext && !folder && <Row label={t('info.storageUsed')} testId="info-storage-used">{formatSize(ext.storage_used)}</Row>}
        <Row label={t('info.created')} testId="info-created">{formatDate(shown.created_at, language)}</Row>
        <Row label={t('files.modified')} testId="info-modified">{formatDate(shown.updated_at, language)}</Row>
        {location && (
          <Row label={t('info.location')} testId="info-location">
            {parent?.fs === 'my' ? (
              <Link component={RouterLink} to={`/home?path=${encodeURIComponent(shown.path ? parentUri(shown.path) : MY_ROOT)}`}>{location}</Link>
            ) : location}
          </Row>
        )}
        {ext?.storage_policy && <Row label={t('info.policy')} testId="info-policy">{ext.storage_policy.name}</Row>}

        <Divider sx={{ my: 1.5 }} />
        <Typography variant="overline" color="text.secondary">{t('info.tags')}</Typography>
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.75, my: 0.5 }} data-testid="info-tags">
          {tags.length === 0 && <Typography variant="body2" color="text.secondary">{t('info.noTags')}</Typography>}
          {tags.map((tg) => (
            <Chip
              key={tg.name}
              label={tg.name}
              size="small"
              data-testid="info-tag"
              data-tag={tg.name}
              sx={tg.color ? { bgcolor: tg.color, color: '#fff' } : undefined}
              onDelete={canTag ? () => void patchTags({ key: TAG + tg.name, remove: true }) : undefined}
              deleteIcon={<CancelIcon titleAccess={t('info.removeTag', { name: tg.name })} data-testid="info-tag-remove" />}
            />
          ))}
        </Box>
        {canTag && (
          <Stack direction="row" spacing={1} component="form" onSubmit={(e) => { e.preventDefault(); void addTag(); }} sx={{ mt: 1 }}>
            <TextField
              size="small"
              label={t('info.addTag')}
              value={tagDraft}
              onChange={(e) => setTagDraft(e.target.value)}
              slotProps={{ htmlInput: { maxLength: 64, 'data-testid': 'info-tag-input' } }}
              sx={{ flex: 1 }}
            />
            <Button type="submit" variant="outlined" disabled={!tagDraft.trim()} data-testid="info-tag-add">{t('info.add')}</Button>
          </Stack>
        )}

        {otherMeta.length > 0 && (
          <>
            <Divider sx={{ my: 1.5 }} />
            <Typography variant="overline" color="text.secondary">{t('info.metadata')}</Typography>
            {otherMeta.map(([k, v]) => <Row key={k} label={k}>{v}</Row>)}
          </>
        )}

        {!folder && info && caps.has(InfoCap.VersionControl) && (
          <>
            <Divider sx={{ my: 1.5 }} />
            <Versions info={info} canChange={Boolean(info.owned)} onChanged={refresh} />
          </>
        )}
        {loading && !info && <Box sx={{ display: 'flex', justifyContent: 'center', py: 3 }}><CircularProgress size={24} aria-label={t('common.loading')} /></Box>}
      </Box>
    </Box>
  );
}

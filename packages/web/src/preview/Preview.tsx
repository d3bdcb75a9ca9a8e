import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { AppBar, Box, Dialog, IconButton, Toolbar, Tooltip, Typography, useMediaQuery, useTheme } from '@mui/material';
import CloseIcon from '@mui/icons-material/Close';
import DownloadOutlinedIcon from '@mui/icons-material/DownloadOutlined';
import type { FileResponse } from '@cloudreve-ts/protocol';
import { useI18n } from '../i18n/index.tsx';
import { ConfirmDialog } from '../explorer/dialogs.tsx';
import { FileIcon } from '../explorer/FileIcon.tsx';
import { ImageViewer } from './ImageViewer.tsx';
import { MediaViewer } from './MediaViewer.tsx';
import { PdfViewer } from './PdfViewer.tsx';
import { Loading } from './parts.tsx';
import { viewerFor, type ViewerKind, type ViewerTable } from './viewers.ts';

const TextPreview = lazy(() => import('./TextPreview.tsx'));

export interface PreviewProps {
  file: FileResponse;
  /** The loaded rows of the folder: images page through these. */
  items: readonly FileResponse[];
  table: ViewerTable;
  /** The user may save new versions (upload capability on an owned file). */
  canEdit: boolean;
  onShow(file: FileResponse): void;
  onSaved(file: FileResponse): void;
  onDownload(file: FileResponse): void;
  onClose(): void;
}

/**
 * A full-window preview of one file: images (thumbnail first, original on request, previous and
 * next within the folder), video and audio, PDF, text/code with an editor, Markdown. Loaded as its
 * own chunk the first time a file is opened; the heavy viewers are chunks of their own again.
 */
export default function Preview({ file, items, table, canEdit, onShow, onSaved, onDownload, onClose }: PreviewProps) {
  const { t } = useI18n();
  const theme = useTheme();
  const phone = !useMediaQuery(theme.breakpoints.up('sm'));
  const kind = viewerFor(table, file) as ViewerKind;
  const [dirty, setDirty] = useState(false);
  const [confirmClose, setConfirmClose] = useState(false);

  const images = useMemo(() => (kind === 'image' ? items.filter((f) => viewerFor(table, f) === 'image') : []), [kind, items, table]);
  const index = images.findIndex((f) => f.id === file.id);
  const step = useCallback(
    (delta: number) => {
      if (index < 0 || images.length < 2) return;
      onShow(images[(index + delta + images.length) % images.length]!);
    },
    [index, images, onShow],
  );

  useEffect(() => {
    if (kind !== 'image') return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'ArrowLeft') step(-1);
      else if (e.key === 'ArrowRight') step(1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [kind, step]);

  const requestClose = () => (dirty ? setConfirmClose(true) : onClose());

  let body;
  if (kind === 'image') body = <ImageViewer file={file} position={index >= 0 ? { index, total: images.length } : undefined} onStep={step} />;
  else if (kind === 'video' || kind === 'audio') body = <MediaViewer file={file} kind={kind} />;
  else if (kind === 'pdf') body = <PdfViewer file={file} />;
  else {
    body = (
      <Suspense fallback={<Loading />}>
        <TextPreview file={file} markdown={kind === 'markdown'} canEdit={canEdit} onSaved={onSaved} onDirtyChange={setDirty} />
      </Suspense>
    );
  }

  const dark = kind === 'image' || kind === 'video';
  return (
    <Dialog
      open
      fullScreen
      onClose={requestClose}
      aria-labelledby="preview-title"
      data-testid="preview"
      data-kind={kind}
      slotProps={{ paper: { sx: { bgcolor: dark ? '#111' : 'background.default', display: 'flex', flexDirection: 'column' } } }}
    >
      <AppBar position="static" color="default" elevation={0} sx={{ borderBottom: 1, borderColor: 'divider' }}>
        <Toolbar variant="dense" sx={{ gap: 1, px: { xs: 1, sm: 2 } }}>
          <Tooltip title={t('preview.close')}>
            <IconButton edge="start" onClick={requestClose} aria-label={t('preview.close')} data-testid="preview-close">
              <CloseIcon />
            </IconButton>
          </Tooltip>
          {!phone && <FileIcon name={file.name} folder={false} />}
          <Typography id="preview-title" variant="subtitle1" noWrap sx={{ flex: 1, minWidth: 0, fontWeight: 600 }} title={file.name} data-testid="preview-title">
            {file.name}
          </Typography>
          <Tooltip title={t('files.download')}>
            <IconButton onClick={() => onDownload(file)} aria-label={t('files.download')} data-testid="preview-download">
              <DownloadOutlinedIcon />
            </IconButton>
          </Tooltip>
        </Toolbar>
      </AppBar>
      <Box sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column' }}>{body}</Box>
      <ConfirmDialog
        open={confirmClose}
        title={t('preview.discardTitle')}
        message={t('preview.discardMessage', { name: file.name })}
        confirmLabel={t('preview.discard')}
        danger
        onClose={() => setConfirmClose(false)}
        onConfirm={async () => {
          setConfirmClose(false);
          onClose();
        }}
      />
    </Dialog>
  );
}

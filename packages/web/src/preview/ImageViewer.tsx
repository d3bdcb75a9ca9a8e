import { useEffect, useState } from 'react';
import { Alert, Box, Button, CircularProgress, IconButton, Tooltip, Typography } from '@mui/material';
import ChevronLeftIcon from '@mui/icons-material/ChevronLeft';
import ChevronRightIcon from '@mui/icons-material/ChevronRight';
import HighQualityOutlinedIcon from '@mui/icons-material/HighQualityOutlined';
import ZoomInIcon from '@mui/icons-material/ZoomIn';
import ZoomOutIcon from '@mui/icons-material/ZoomOut';
import type { FileResponse } from '@cloudreve-ts/protocol';
import { fileDetails } from '../api/file-details.ts';
import { describeError } from '../api/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import { thumbnailUrl } from '../explorer/thumbnails.ts';
import { useLoad } from './useSignedUrl.ts';

interface Props {
  file: FileResponse;
  position?: { index: number; total: number };
  onStep(delta: number): void;
}

const navButton = { position: 'absolute', top: '50%', transform: 'translateY(-50%)', bgcolor: 'rgba(0,0,0,0.45)', color: '#fff', '&:hover': { bgcolor: 'rgba(0,0,0,0.65)' } } as const;

/**
 * Shows the thumbnail at once (it is small and usually cached), the original when asked for —
 * or straight away when there is no thumbnail. Zoom switches between fit and actual size.
 */
export function ImageViewer({ file, position, onStep }: Props) {
  const { t, language } = useI18n();
  const uri = file.path!;
  const key = `${uri}#${file.primary_entity ?? ''}`;
  const thumb = useLoad(key, (signal) => thumbnailUrl(file, signal).then((u) => u ?? Promise.reject(new Error('no thumbnail'))));
  const [wantOriginal, setWantOriginal] = useState(false);
  const [zoom, setZoom] = useState(false);
  const [originalShown, setOriginalShown] = useState(false);
  useEffect(() => {
    setWantOriginal(false);
    setZoom(false);
    setOriginalShown(false);
  }, [key]);
  const noThumb = !thumb.loading && !thumb.value;
  const original = useLoad(wantOriginal || noThumb ? key : undefined, () => fileDetails.url(uri));
  const src = originalShown && original.value ? original.value : thumb.value;
  const loadingOriginal = Boolean(original.value) && !originalShown;

  return (
    <Box sx={{ flex: 1, minHeight: 0, position: 'relative', display: 'flex', flexDirection: 'column', color: '#eee' }}>
      <Box sx={{ flex: 1, minHeight: 0, overflow: zoom ? 'auto' : 'hidden', display: 'flex', alignItems: zoom ? 'flex-start' : 'center', justifyContent: zoom ? 'flex-start' : 'center' }}>
        {src && (
          <Box
            component="img"
            src={src}
            alt={file.name}
            data-testid="preview-image"
            data-variant={originalShown ? 'original' : 'thumbnail'}
            onClick={() => setZoom((z) => !z)}
            sx={zoom ? { maxWidth: 'none', m: 'auto', cursor: 'zoom-out' } : { maxWidth: '100%', maxHeight: '100%', objectFit: 'contain', cursor: 'zoom-in' }}
          />
        )}
        {/* The original loads hidden and replaces the thumbnail once decoded, so the picture never blanks. */}
        {original.value && !originalShown && (
          <img src={original.value} alt="" hidden onLoad={() => setOriginalShown(true)} onError={() => setOriginalShown(true)} />
        )}
        {!src && (thumb.loading || original.loading) && <CircularProgress aria-label={t('common.loading')} />}
        {!src && original.error ? <Alert severity="error" data-testid="preview-error">{describeError(original.error, t, language)}</Alert> : null}
      </Box>
      {position && position.total > 1 && (
        <>
          <Tooltip title={t('preview.previous')}>
            <IconButton onClick={() => onStep(-1)} aria-label={t('preview.previous')} data-testid="preview-prev" sx={{ ...navButton, left: 8 }}>
              <ChevronLeftIcon fontSize="large" />
            </IconButton>
          </Tooltip>
          <Tooltip title={t('preview.next')}>
            <IconButton onClick={() => onStep(1)} aria-label={t('preview.next')} data-testid="preview-next" sx={{ ...navButton, right: 8 }}>
              <ChevronRightIcon fontSize="large" />
            </IconButton>
          </Tooltip>
        </>
      )}
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 2, py: 1, flexWrap: 'wrap', bgcolor: 'rgba(0,0,0,0.6)' }}>
        {position && (
          <Typography variant="body2" data-testid="preview-position">{t('preview.position', { index: position.index + 1, total: position.total })}</Typography>
        )}
        <Typography variant="body2" sx={{ opacity: 0.7 }}>{originalShown ? t('preview.showingOriginal') : t('preview.showingThumbnail')}</Typography>
        <Box sx={{ flex: 1 }} />
        {!originalShown && (
          <Button size="small" variant="outlined" color="inherit" startIcon={loadingOriginal || original.loading ? <CircularProgress size={14} color="inherit" /> : <HighQualityOutlinedIcon />} onClick={() => setWantOriginal(true)} disabled={wantOriginal} data-testid="preview-original">
            {t('preview.original')}
          </Button>
        )}
        <Tooltip title={zoom ? t('preview.fit') : t('preview.actualSize')}>
          <IconButton color="inherit" onClick={() => setZoom((z) => !z)} aria-label={zoom ? t('preview.fit') : t('preview.actualSize')} aria-pressed={zoom} data-testid="preview-zoom">
            {zoom ? <ZoomOutIcon /> : <ZoomInIcon />}
          </IconButton>
        </Tooltip>
      </Box>
    </Box>
  );
}

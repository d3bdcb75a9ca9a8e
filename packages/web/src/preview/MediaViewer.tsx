import { Alert, Box, Typography } from '@mui/material';
import AudiotrackOutlinedIcon from '@mui/icons-material/AudiotrackOutlined';
import type { FileResponse } from '@cloudreve-ts/protocol';
import { describeError } from '../api/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import { centered, Loading } from './parts.tsx';
import { useSignedUrl } from './useSignedUrl.ts';

/**
 * Video and audio through the browser's own player on the signed URL: the content route answers
 * Range requests, so seeking fetches only what is needed.
 */
export function MediaViewer({ file, kind }: { file: FileResponse; kind: 'video' | 'audio' }) {
  const { t, language } = useI18n();
  const url = useSignedUrl(file.path, file.primary_entity);
  if (url.loading) return <Loading />;
  if (!url.value) return <Box sx={centered}><Alert severity="error" data-testid="preview-error">{describeError(url.error, t, language)}</Alert></Box>;
  if (kind === 'video') {
    return (
      <Box sx={{ ...centered, bgcolor: '#000' }}>
        <Box component="video" src={url.value} controls preload="metadata" aria-label={file.name} data-testid="preview-video" sx={{ maxWidth: '100%', maxHeight: '100%', width: '100%', outline: 'none' }} />
      </Box>
    );
  }
  return (
    <Box sx={{ ...centered, flexDirection: 'column', gap: 3, px: 2 }}>
      <AudiotrackOutlinedIcon sx={{ fontSize: 96, color: 'primary.main', opacity: 0.8 }} />
      <Typography variant="h6" align="center" sx={{ wordBreak: 'break-word' }}>{file.name}</Typography>
      <Box component="audio" src={url.value} controls preload="metadata" aria-label={file.name} data-testid="preview-audio" sx={{ width: '100%', maxWidth: 560 }} />
    </Box>
  );
}

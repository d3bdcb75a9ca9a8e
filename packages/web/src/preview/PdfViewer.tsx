import { useEffect, useState } from 'react';
import { Alert, Box, Button } from '@mui/material';
import OpenInNewIcon from '@mui/icons-material/OpenInNew';
import type { FileResponse } from '@cloudreve-ts/protocol';
import { describeError } from '../api/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import { centered, Loading } from './parts.tsx';
import { useSignedUrl } from './useSignedUrl.ts';

/** Above this the PDF is not copied into the page; the browser opens the signed URL itself. */
const INLINE_LIMIT = 100 * 1024 * 1024;

/**
 * The browser's own PDF viewer in a frame. The content route sends `Content-Security-Policy:
 * sandbox`, under which Chromium refuses to run its PDF viewer, so the bytes are loaded into a
 * blob: URL first (same origin, no such header).
 */
export function PdfViewer({ file }: { file: FileResponse }) {
  const { t, language } = useI18n();
  const url = useSignedUrl(file.path, file.primary_entity);
  const [blobUrl, setBlobUrl] = useState<string>();
  const [failed, setFailed] = useState<unknown>();

  useEffect(() => {
    if (!url.value || file.size > INLINE_LIMIT) return;
    const controller = new AbortController();
    let made: string | undefined;
    setBlobUrl(undefined);
    setFailed(undefined);
    fetch(url.value, { signal: controller.signal })
      .then((res) => (res.ok ? res.blob() : Promise.reject(new Error(`HTTP ${res.status}`))))
      .then((blob) => {
        made = URL.createObjectURL(new Blob([blob], { type: 'application/pdf' }));
        setBlobUrl(made);
      })
      .catch((err) => !controller.signal.aborted && setFailed(err));
    return () => {
      controller.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [url.value, file.size]);

  if (url.loading) return <Loading />;
  if (!url.value) return <Box sx={centered}><Alert severity="error" data-testid="preview-error">{describeError(url.error, t, language)}</Alert></Box>;
  const openButton = (
    <Button variant="outlined" startIcon={<OpenInNewIcon />} href={url.value} target="_blank" rel="noopener" data-testid="preview-open-tab">
      {t('preview.openNewTab')}
    </Button>
  );
  if (file.size > INLINE_LIMIT || failed) return <Box sx={{ ...centered, flexDirection: 'column', gap: 2 }}>{failed ? <Alert severity="error">{t('preview.loadFailed')}</Alert> : null}{openButton}</Box>;
  if (!blobUrl) return <Loading />;
  return <Box component="iframe" src={blobUrl} title={file.name} data-testid="preview-pdf" sx={{ flex: 1, border: 0, width: '100%', bgcolor: 'background.paper' }} />;
}

import { Box, CircularProgress } from '@mui/material';
import { useI18n } from '../i18n/index.tsx';

export const centered = { flex: 1, minHeight: 0, display: 'flex', alignItems: 'center', justifyContent: 'center' } as const;

export function Loading() {
  const { t } = useI18n();
  return (
    <Box sx={centered}>
      <CircularProgress aria-label={t('common.loading')} />
    </Box>
  );
}

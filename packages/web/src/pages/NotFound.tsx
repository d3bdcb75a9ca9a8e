import { Link as RouterLink } from 'react-router';
import { Box, Button, Typography } from '@mui/material';
import { LogoMark } from '../components/Logo.tsx';
import { useI18n } from '../i18n/index.tsx';

export function NotFound() {
  const { t } = useI18n();
  return (
    <Box sx={{ minHeight: '100dvh', display: 'flex', flexDirection: 'column', alignItems: 'center', justifyContent: 'center', gap: 2, p: 3, textAlign: 'center' }}>
      <LogoMark size={56} />
      <Typography variant="h2" sx={{ fontWeight: 800, color: 'text.disabled' }}>404</Typography>
      <Typography variant="h5" component="h1">{t('notFound.title')}</Typography>
      <Typography color="text.secondary">{t('notFound.description')}</Typography>
      <Button component={RouterLink} to="/home" variant="contained" sx={{ mt: 1 }}>{t('notFound.home')}</Button>
    </Box>
  );
}

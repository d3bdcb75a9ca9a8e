import { useCallback, useEffect, useState } from 'react';
import { Box, Stack, Typography } from '@mui/material';
import { settings, type UserSettings } from '../api/settings.ts';
import { useI18n } from '../i18n/index.tsx';
import { AppearanceSection, PasswordSection, ProfileSection, SettingsError, TwoFactorSection } from './AccountSections.tsx';
import { DavSection } from './DavSection.tsx';

/** Account settings: profile, password, two-step verification, WebDAV accounts, appearance. */
export default function SettingsPage() {
  const { t } = useI18n();
  const [info, setInfo] = useState<UserSettings | null>(null);
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => {
    setError(undefined);
    settings.get().then(setInfo, setError);
  }, []);
  useEffect(load, [load]);
  return (
    <Box sx={{ flex: 1, minHeight: 0, overflowY: 'auto', px: { xs: 1.5, md: 3 }, py: 2 }} data-testid="settings-page">
      <Stack spacing={2} sx={{ maxWidth: 820, mx: 'auto', pb: 4 }}>
        <Typography variant="h6" component="h1">{t('settings.title')}</Typography>
        {Boolean(error) && <SettingsError error={error} onRetry={load} />}
        <ProfileSection />
        <PasswordSection info={info} />
        <TwoFactorSection info={info} onChanged={load} />
        <DavSection />
        <AppearanceSection />
      </Stack>
    </Box>
  );
}

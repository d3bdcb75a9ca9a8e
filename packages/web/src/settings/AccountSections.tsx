import { useEffect, useRef, useState, type FormEvent } from 'react';
import {
  Alert, Avatar, Box, Button, Chip, FormControl, FormControlLabel, FormLabel, MenuItem, Radio, RadioGroup, Stack, TextField, Typography,
} from '@mui/material';
import { Code } from '@cloudreve-ts/protocol';
import { api } from '../api/client.ts';
import { session as sessionApi } from '../api/endpoints.ts';
import { describeError, isCode } from '../api/errors.ts';
import { settings, type UserSettings } from '../api/settings.ts';
import { useSession } from '../auth/session.ts';
import { useNotify } from '../components/Notifier.tsx';
import { LANGUAGES, useI18n, type Language } from '../i18n/index.tsx';
import { useSite } from '../site.tsx';
import { setThemePreference, useThemePreference, type ThemePreference } from '../theme.tsx';
import { QrCode } from './QrCode.tsx';
import { Section } from './sections.tsx';

const AVATAR_MAX = 4 * 1024 * 1024;

async function refreshUser() {
  api.updateUser(await settings.me());
}

export function ProfileSection() {
  const { t, language } = useI18n();
  const notify = useNotify();
  const session = useSession();
  const user = session?.user;
  const [nick, setNick] = useState(user?.nickname ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [avatarKey, setAvatarKey] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => setNick(user?.nickname ?? ''), [user?.nickname]);
  if (!user) return null;

  const saveNick = async (e: FormEvent) => {
    e.preventDefault();
    const value = nick.trim();
    if (!value || value.length > 255) return setError(t('settings.nickRule'));
    setBusy(true);
    try {
      await settings.patch({ nick: value });
      await refreshUser();
      notify(t('settings.saved'), 'success');
    } catch (err) {
      setError(describeError(err, t, language));
      setNick(user.nickname);
    } finally {
      setBusy(false);
    }
  };

  const uploadAvatar = async (file: File | undefined) => {
    if (!file) return;
    if (!file.type.startsWith('image/')) return notify(t('settings.avatarType'), 'error');
    if (file.size > AVATAR_MAX) return notify(t('settings.avatarTooLarge', { max: '4 MB' }), 'error');
    setBusy(true);
    try {
      await settings.uploadAvatar(file);
      await refreshUser();
      setAvatarKey((k) => k + 1);
      notify(t('settings.avatarUpdated'), 'success');
    } catch (err) {
      notify(describeError(err, t, language), 'error');
    } finally {
      setBusy(false);
    }
  };

  const initial = (user.nickname || user.email || '?').slice(0, 1).toUpperCase();
  return (
    <Section id="profile" title={t('settings.profile')}>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={3} sx={{ alignItems: { xs: 'flex-start', sm: 'center' } }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 2 }}>
          <Avatar
            src={user.avatar ? `/api/v4/user/avatar/${user.id}?nocache=1&key=${avatarKey}` : undefined}
            alt={t('settings.avatar')}
            sx={{ width: 72, height: 72, bgcolor: 'primary.main', fontSize: 28 }}
            data-testid="settings-avatar"
            data-has-avatar={user.avatar ? 'true' : 'false'}
          >
            {initial}
          </Avatar>
          <Box>
            <Button variant="outlined" size="small" onClick={() => fileInput.current?.click()} disabled={busy} data-testid="avatar-change">{t('settings.changeAvatar')}</Button>
            <Typography variant="caption" color="text.secondary" sx={{ display: 'block', mt: 0.5 }}>{t('settings.avatarHint')}</Typography>
            <input ref={fileInput} type="file" accept="image/png,image/jpeg,image/gif,image/webp" hidden aria-label={t('settings.changeAvatar')} data-testid="avatar-input" onChange={(e) => { void uploadAvatar(e.target.files?.[0]); e.target.value = ''; }} />
          </Box>
        </Box>
        <Box component="form" onSubmit={saveNick} noValidate sx={{ flex: 1, display: 'flex', gap: 1, alignItems: 'flex-start', width: '100%' }}>
          <TextField
            size="small"
            label={t('settings.nickname')}
            value={nick}
            onChange={(e) => { setNick(e.target.value); setError(undefined); }}
            error={Boolean(error)}
            helperText={error ?? user.email}
            slotProps={{ htmlInput: { 'data-testid': 'nick-input', maxLength: 255 } }}
          />
          <Button type="submit" variant="contained" disabled={busy || nick.trim() === user.nickname} data-testid="nick-save" sx={{ mt: 0.25 }}>{t('common.save')}</Button>
        </Box>
      </Stack>
    </Section>
  );
}

export function PasswordSection({ info }: { info: UserSettings | null }) {
  const { t, language } = useI18n();
  const notify = useNotify();
  const session = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<{ field: 'current' | 'next' | 'confirm'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  if (info?.passwordless) {
    return <Section id="password" title={t('settings.password')}><Typography color="text.secondary">{t('settings.passwordless')}</Typography></Section>;
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (current.length < 4) return setError({ field: 'current', text: t('settings.currentRequired') });
    if (next.length < 6 || next.length > 128) return setError({ field: 'next', text: t('auth.passwordLength', { min: 6, max: 128 }) });
    if (next !== confirm) return setError({ field: 'confirm', text: t('auth.passwordMismatch') });
    setBusy(true);
    try {
      await settings.patch({ current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      notify(t('settings.passwordChanged'), 'success');
      // The change revokes every refresh token: sign in again quietly with the new password.
      const email = session?.user.email;
      if (email) {
        try {
          api.signedIn(await sessionApi.signIn({ email, password: next }));
        } catch {
          await api.signOut();
        }
      }
    } catch (err) {
      setError({ field: isCode(err, Code.IncorrectPassword) ? 'current' : 'next', text: isCode(err, Code.IncorrectPassword) ? t('settings.currentWrong') : describeError(err, t, language) });
    } finally {
      setBusy(false);
    }
  };

  const field = (name: 'current' | 'next' | 'confirm', label: string, value: string, set: (v: string) => void, autoComplete: string) => (
    <TextField
      size="small"
      type="password"
      label={label}
      value={value}
      onChange={(e) => { set(e.target.value); setError(null); }}
      error={error?.field === name}
      helperText={error?.field === name ? error.text : ' '}
      slotProps={{ htmlInput: { 'data-testid': `password-${name}`, autoComplete } }}
    />
  );

  return (
    <Section id="password" title={t('settings.password')} description={t('settings.passwordHint')}>
      <Box component="form" onSubmit={submit} noValidate sx={{ display: 'grid', gap: 0.5, maxWidth: 420 }}>
        <input type="text" name="username" autoComplete="username" value={session?.user.email ?? ''} readOnly hidden />
        {field('current', t('settings.currentPassword'), current, setCurrent, 'current-password')}
        {field('next', t('settings.newPassword'), next, setNext, 'new-password')}
        {field('confirm', t('auth.confirmPassword'), confirm, setConfirm, 'new-password')}
        <Box><Button type="submit" variant="contained" disabled={busy} data-testid="password-save">{t('settings.changePassword')}</Button></Box>
      </Box>
    </Section>
  );
}

export function TwoFactorSection({ info, onChanged }: { info: UserSettings | null; onChanged(): void }) {
  const { t, language } = useI18n();
  const notify = useNotify();
  const site = useSite();
  const session = useSession();
  const [secret, setSecret] = useState<string | null>(null);
  const [disabling, setDisabling] = useState(false);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const enabled = Boolean(info?.two_fa_enabled);

  const begin = async () => {
    setBusy(true);
    try {
      setSecret(await settings.twoFaSecret());
      setCode('');
      setError(undefined);
    } catch (err) {
      notify(describeError(err, t, language), 'error');
    } finally {
      setBusy(false);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code)) return setError(t('auth.codeRequired'));
    setBusy(true);
    try {
      await settings.patch({ two_fa_enabled: !enabled, two_fa_code: code });
      notify(enabled ? t('settings.twoFaOff') : t('settings.twoFaOn'), 'success');
      setSecret(null);
      setDisabling(false);
      setCode('');
      onChanged();
    } catch (err) {
      setError(describeError(err, t, language));
    } finally {
      setBusy(false);
    }
  };

  const issuer = site.title || 'Cloudreve';
  const account = session?.user.nickname || session?.user.email || '';
  const otpauth = secret ? `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}` : '';
  const codeForm = (
    <Box component="form" onSubmit={submit} noValidate sx={{ display: 'flex', gap: 1, alignItems: 'flex-start', maxWidth: 360, mt: 2 }}>
      <TextField
        size="small"
        label={t('auth.twoFactor.code')}
        value={code}
        onChange={(e) => { setCode(e.target.value.replace(/\D/g, '').slice(0, 6)); setError(undefined); }}
        error={Boolean(error)}
        helperText={error ?? ' '}
        slotProps={{ htmlInput: { inputMode: 'numeric', autoComplete: 'one-time-code', 'data-testid': 'twofa-code' } }}
      />
      <Button type="submit" variant="contained" color={enabled ? 'error' : 'primary'} disabled={busy} data-testid="twofa-submit" sx={{ mt: 0.25, flexShrink: 0 }}>
        {enabled ? t('settings.twoFaDisable') : t('settings.twoFaEnable')}
      </Button>
    </Box>
  );

  return (
    <Section id="twofa" title={t('settings.twoFa')} description={t('settings.twoFaHint')}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
        <Chip label={enabled ? t('settings.on') : t('settings.off')} color={enabled ? 'success' : 'default'} size="small" data-testid="twofa-status" />
        {!enabled && !secret && <Button variant="outlined" onClick={() => void begin()} disabled={busy || !info} data-testid="twofa-setup">{t('settings.twoFaSetup')}</Button>}
        {enabled && !disabling && <Button variant="outlined" color="error" onClick={() => setDisabling(true)} data-testid="twofa-turn-off">{t('settings.twoFaDisable')}</Button>}
      </Box>
      {secret && !enabled && (
        <Stack direction={{ xs: 'column', sm: 'row' }} spacing={3} sx={{ mt: 2, alignItems: { xs: 'center', sm: 'flex-start' } }}>
          <QrCode text={otpauth} label={t('settings.twoFaQr')} />
          <Box sx={{ minWidth: 0, width: '100%' }}>
            <Typography variant="body2">{t('settings.twoFaScan')}</Typography>
            <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>{t('settings.twoFaManual')}</Typography>
            <Typography component="code" data-testid="twofa-secret" sx={{ display: 'block', fontFamily: 'monospace', fontSize: 15, letterSpacing: 1, wordBreak: 'break-all', mt: 0.5, p: 1, borderRadius: 1, bgcolor: 'action.hover' }}>{secret}</Typography>
            {codeForm}
          </Box>
        </Stack>
      )}
      {enabled && disabling && codeForm}
    </Section>
  );
}

export function AppearanceSection() {
  const { t, language, setLanguage } = useI18n();
  const notify = useNotify();
  const theme = useThemePreference();
  const chooseLanguage = (lang: Language) => {
    setLanguage(lang);
    // Also the account's language (e-mails); best effort, the UI switch already happened.
    settings.patch({ language: lang }).catch((err) => notify(describeError(err, t, language), 'error'));
  };
  return (
    <Section id="appearance" title={t('settings.appearance')}>
      <Stack spacing={2.5}>
        <FormControl>
          <FormLabel id="theme-label">{t('settings.theme')}</FormLabel>
          <RadioGroup row aria-labelledby="theme-label" value={theme} onChange={(e) => setThemePreference(e.target.value as ThemePreference)}>
            <FormControlLabel value="light" control={<Radio slotProps={{ input: { ...{ 'data-testid': 'theme-light' } } }} />} label={t('settings.themeLight')} />
            <FormControlLabel value="dark" control={<Radio slotProps={{ input: { ...{ 'data-testid': 'theme-dark' } } }} />} label={t('settings.themeDark')} />
            <FormControlLabel value="system" control={<Radio slotProps={{ input: { ...{ 'data-testid': 'theme-system' } } }} />} label={t('settings.themeSystem')} />
          </RadioGroup>
        </FormControl>
        <TextField
          select
          size="small"
          label={t('lang.label')}
          value={language}
          onChange={(e) => chooseLanguage(e.target.value as Language)}
          sx={{ maxWidth: 260 }}
          slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'language-select' } as object } }}
        >
          {LANGUAGES.map((l) => <MenuItem key={l.code} value={l.code} lang={l.code}>{l.label}</MenuItem>)}
        </TextField>
      </Stack>
    </Section>
  );
}

export function SettingsError({ error, onRetry }: { error: unknown; onRetry(): void }) {
  const { t, language } = useI18n();
  return <Alert severity="error" action={<Button color="inherit" size="small" onClick={onRetry}>{t('common.retry')}</Button>}>{describeError(error, t, language)}</Alert>;
}

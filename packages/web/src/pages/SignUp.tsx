import { useEffect, useState, type FormEvent } from 'react';
import { Link as RouterLink, Navigate, useLocation, useNavigate } from 'react-router';
import { Alert, Box, Button, Link, Stack, TextField, Typography } from '@mui/material';
import { Code, type LoginSiteConfig } from '@cloudreve-ts/protocol';
import { ApiError } from '../api/client.ts';
import { session, siteConfig } from '../api/endpoints.ts';
import { describeError } from '../api/errors.ts';
import { useSession } from '../auth/session.ts';
import { useI18n } from '../i18n/index.tsx';
import { useSite } from '../site.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { CaptchaField, captchaIsImage, useCaptcha } from './captcha.tsx';
import type { SignInNotice } from './SignIn.tsx';
import { emailProblem, passwordProblem } from './validation.ts';


export function SignUp() {
  const { t, language } = useI18n();
  const site = useSite();
  const navigate = useNavigate();
  const handed = (useLocation().state ?? {}) as { email?: string };
  const existing = useSession();
  const [login, setLogin] = useState<LoginSiteConfig | null>(null);
  const [email, setEmail] = useState(handed.email ?? '');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [activationSentTo, setActivationSentTo] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ email?: string; password?: string; confirm?: string; captcha?: string }>({});
  const captcha = useCaptcha(Boolean(login?.reg_captcha) && captchaIsImage(site.captcha_type));

  useEffect(() => {
    siteConfig.login().then(setLogin).catch(() => setLogin({ register_enabled: true }));
  }, []);

  if (existing) return <Navigate to="/home" replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = {
      email: emailProblem(email, t),
      password: passwordProblem(password, 6, t),
      confirm: confirm !== password ? t('auth.passwordMismatch') : undefined,
      captcha: captcha.enabled && !captcha.answer.trim() ? t('auth.captchaRequired') : undefined,
    };
    setFieldErrors(problems);
    if (Object.values(problems).some(Boolean)) return;
    setBusy(true);
    setError(null);
    try {
      await session.signUp({ email: email.trim(), password, language, ...captcha.fields });
      navigate('/session', { state: { email: email.trim(), notice: 'signed-up' } satisfies SignInNotice });
    } catch (err) {
      if (err instanceof ApiError && err.code === Code.NotFullySuccess) setActivationSentTo(email.trim());
      else {
        setError(describeError(err, t, language));
        if (captcha.enabled) captcha.refresh();
      }
    } finally {
      setBusy(false);
    }
  };

  const disabled = login !== null && !login.register_enabled;

  return (
    <AuthLayout title={t('auth.signUp.title')} subtitle={t('auth.signUp.subtitle', { site: site.title || 'Cloudreve' })}>
      {activationSentTo ? (
        <Stack spacing={2.5}>
          <Alert severity="success" data-testid="activation-sent">{t('auth.signUp.activationSent', { email: activationSentTo })}</Alert>
          <Button component={RouterLink} to="/session" state={{ email: activationSentTo }} variant="contained" size="large">
            {t('auth.signUp.signIn')}
          </Button>
        </Stack>
      ) : disabled ? (
        <Stack spacing={2.5}>
          <Alert severity="info" data-testid="sign-up-disabled">{t('auth.signUp.disabled')}</Alert>
          <Button component={RouterLink} to="/session" variant="outlined" size="large">
            {t('auth.signUp.signIn')}
          </Button>
        </Stack>
      ) : (
        <Box component="form" onSubmit={submit} noValidate>
          <Stack spacing={2.5}>
            {error && <Alert severity="error" data-testid="auth-error">{error}</Alert>}
            <TextField
              label={t('auth.email')}
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoComplete="email"
              autoFocus
              error={Boolean(fieldErrors.email)}
              helperText={fieldErrors.email}
              slotProps={{ htmlInput: { 'data-testid': 'email-input' } }}
            />
            <TextField
              label={t('auth.password')}
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="new-password"
              error={Boolean(fieldErrors.password)}
              helperText={fieldErrors.password ?? t('auth.passwordLength', { min: 6, max: 128 })}
              slotProps={{ htmlInput: { 'data-testid': 'password-input' } }}
            />
            <TextField
              label={t('auth.confirmPassword')}
              type="password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              autoComplete="new-password"
              error={Boolean(fieldErrors.confirm)}
              helperText={fieldErrors.confirm}
              slotProps={{ htmlInput: { 'data-testid': 'confirm-input' } }}
            />
            <CaptchaField state={captcha} error={fieldErrors.captcha} />
            <Button type="submit" variant="contained" size="large" disabled={busy || !login} data-testid="sign-up-submit">
              {t('auth.signUp.submit')}
            </Button>
            <Typography variant="body2" align="center" color="text.secondary">
              {t('auth.signUp.haveAccount')}{' '}
              <Link component={RouterLink} to="/session" underline="always">
                {t('auth.signUp.signIn')}
              </Link>
            </Typography>
          </Stack>
        </Box>
      )}
    </AuthLayout>
  );
}

import { useEffect, useState, type FormEvent } from 'react';
import { Link as RouterLink, Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { Alert, Box, Button, Link, Stack, TextField, Typography } from '@mui/material';
import { Code, type LoginSiteConfig } from '@cloudreve-ts/protocol';
import { api, ApiError } from '../api/client.ts';
import { session, siteConfig } from '../api/endpoints.ts';
import { describeError } from '../api/errors.ts';
import { safeRedirect, useSession } from '../auth/session.ts';
import { useI18n } from '../i18n/index.tsx';
import { useSite } from '../site.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { CaptchaField, captchaIsImage, useCaptcha } from './captcha.tsx';
import { emailProblem, passwordProblem } from './validation.ts';

/** State the sign-up page hands over: the e-mail to prefill and a message to show. */
export interface SignInNotice { email?: string; notice?: 'signed-up' }


export function SignIn() {
  const { t, language } = useI18n();
  const site = useSite();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const handed = (useLocation().state ?? {}) as SignInNotice;
  const existing = useSession();
  const [login, setLogin] = useState<LoginSiteConfig | null>(null);
  const [email, setEmail] = useState(handed.email ?? '');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [twoFactorSession, setTwoFactorSession] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ email?: string; password?: string; captcha?: string; otp?: string }>({});
  const captcha = useCaptcha(Boolean(login?.login_captcha) && captchaIsImage(site.captcha_type));
  const redirect = safeRedirect(params.get('redirect'));

  useEffect(() => {
    siteConfig.login().then(setLogin).catch(() => setLogin({}));
  }, []);

  if (existing) return <Navigate to={redirect} replace />;

  const finish = (result: Parameters<typeof api.signedIn>[0]) => {
    api.signedIn(result);
    navigate(redirect, { replace: true });
  };

  const submitPassword = async (e: FormEvent) => {
    e.preventDefault();
    const problems = {
      email: emailProblem(email, t),
      password: passwordProblem(password, 4, t),
      captcha: captcha.enabled && !captcha.answer.trim() ? t('auth.captchaRequired') : undefined,
    };
    setFieldErrors(problems);
    if (problems.email || problems.password || problems.captcha) return;
    setBusy(true);
    setError(null);
    try {
      finish(await session.signIn({ email: email.trim(), password, ...captcha.fields }));
    } catch (err) {
      if (err instanceof ApiError && err.code === Code.NotFullySuccess && typeof err.data === 'string') {
        setTwoFactorSession(err.data);
        setOtp('');
      } else {
        setError(describeError(err, t, language));
        if (captcha.enabled) captcha.refresh();
      }
    } finally {
      setBusy(false);
    }
  };

  const submitOtp = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(otp.trim())) {
      setFieldErrors({ otp: t('auth.codeRequired') });
      return;
    }
    setFieldErrors({});
    setBusy(true);
    setError(null);
    try {
      finish(await session.signIn2fa({ otp: otp.trim(), session_id: twoFactorSession! }));
    } catch (err) {
      if (err instanceof ApiError && err.code === Code.NotFound) {
        setTwoFactorSession(null);
        setPassword('');
        setError(t('auth.twoFactor.expired'));
        if (captcha.enabled) captcha.refresh();
      } else setError(describeError(err, t, language));
    } finally {
      setBusy(false);
    }
  };

  if (twoFactorSession) {
    return (
      <AuthLayout title={t('auth.twoFactor.title')} subtitle={t('auth.twoFactor.description')}>
        <Box component="form" onSubmit={submitOtp} noValidate>
          <Stack spacing={2.5}>
            {error && <Alert severity="error" data-testid="auth-error">{error}</Alert>}
            <TextField
              label={t('auth.twoFactor.code')}
              value={otp}
              onChange={(e) => setOtp(e.target.value.replace(/\D/g, '').slice(0, 6))}
              autoFocus
              autoComplete="one-time-code"
              error={Boolean(fieldErrors.otp)}
              helperText={fieldErrors.otp}
              slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'otp-input', style: { letterSpacing: '0.4em', fontSize: 20 } } }}
            />
            <Button type="submit" variant="contained" size="large" disabled={busy} data-testid="otp-submit">
              {t('auth.twoFactor.submit')}
            </Button>
            <Button onClick={() => { setTwoFactorSession(null); setError(null); if (captcha.enabled) captcha.refresh(); }}>
              {t('auth.twoFactor.useAnother')}
            </Button>
          </Stack>
        </Box>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title={t('auth.signIn.title')} subtitle={t('auth.signIn.subtitle', { site: site.title || 'Cloudreve' })}>
      <Box component="form" onSubmit={submitPassword} noValidate>
        <Stack spacing={2.5}>
          {handed.notice === 'signed-up' && !error && <Alert severity="success">{t('auth.signUp.done')}</Alert>}
          {error && <Alert severity="error" data-testid="auth-error">{error}</Alert>}
          <TextField
            label={t('auth.email')}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoComplete="username"
            autoFocus={!handed.email}
            error={Boolean(fieldErrors.email)}
            helperText={fieldErrors.email}
            name="email"
            slotProps={{ htmlInput: { 'data-testid': 'email-input' } }}
          />
          <TextField
            label={t('auth.password')}
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="current-password"
            autoFocus={Boolean(handed.email)}
            error={Boolean(fieldErrors.password)}
            helperText={fieldErrors.password}
            name="password"
            slotProps={{ htmlInput: { 'data-testid': 'password-input' } }}
          />
          <CaptchaField state={captcha} error={fieldErrors.captcha} />
          <Button type="submit" variant="contained" size="large" disabled={busy || !login} data-testid="sign-in-submit">
            {t('auth.signIn.submit')}
          </Button>
          {login?.register_enabled && (
            <Typography variant="body2" align="center" color="text.secondary">
              {t('auth.signIn.noAccount')}{' '}
              <Link component={RouterLink} to="/session/signup" state={{ email }} underline="always" data-testid="to-sign-up">
                {t('auth.signIn.createAccount')}
              </Link>
            </Typography>
          )}
        </Stack>
      </Box>
    </AuthLayout>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { Box, ButtonBase, Skeleton, TextField, Tooltip } from '@mui/material';
import { session, type Captcha } from '../api/endpoints.ts';
import { useI18n } from '../i18n/index.tsx';

/** The captcha types this UI renders: the built-in image (`tcaptcha` is deprecated and means the same). */
export const captchaIsImage = (type: string | undefined) => !type || type === 'normal' || type === 'tcaptcha';

/** Built-in image captcha (contract 00 §5.7, type `normal`): each ticket is good for one try. */
export function useCaptcha(enabled: boolean) {
  const [captcha, setCaptcha] = useState<Captcha | null>(null);
  const [answer, setAnswer] = useState('');
  const refresh = useCallback(() => {
    setAnswer('');
    setCaptcha(null);
    session.captcha().then(setCaptcha).catch(() => setCaptcha(null));
  }, []);
  useEffect(() => {
    if (enabled) refresh();
  }, [enabled, refresh]);
  return { enabled, captcha, answer, setAnswer, refresh, fields: enabled ? { captcha: answer, ticket: captcha?.ticket ?? '' } : {} };
}

export function CaptchaField({ state, error }: { state: ReturnType<typeof useCaptcha>; error?: string }) {
  const { t } = useI18n();
  if (!state.enabled) return null;
  return (
    <Box sx={{ display: 'flex', gap: 1.5, alignItems: 'flex-start' }}>
      <TextField
        label={t('auth.captcha')}
        value={state.answer}
        onChange={(e) => state.setAnswer(e.target.value)}
        autoComplete="off"
        error={Boolean(error)}
        helperText={error}
        name="captcha"
        slotProps={{ htmlInput: { 'data-testid': 'captcha-input', maxLength: 32 } }}
      />
      <Tooltip title={t('auth.captchaRefresh')}>
        <ButtonBase
          onClick={state.refresh}
          aria-label={t('auth.captchaImage')}
          data-testid="captcha-image"
          sx={{ borderRadius: 1.5, overflow: 'hidden', flexShrink: 0, border: 1, borderColor: 'divider', height: 56, width: 150, bgcolor: '#fff' }}
        >
          {state.captcha ? (
            <img src={state.captcha.image} alt="" style={{ height: '100%', width: '100%', objectFit: 'contain' }} />
          ) : (
            <Skeleton variant="rectangular" width={150} height={56} />
          )}
        </ButtonBase>
      </Tooltip>
    </Box>
  );
}

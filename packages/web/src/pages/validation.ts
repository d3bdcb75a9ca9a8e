import type { Translate } from '../i18n/index.tsx';

// The same rules the server applies (contract 10 §4 and §5), checked before sending.
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const emailProblem = (email: string, t: Translate) => (EMAIL_RE.test(email.trim()) && email.length <= 255 ? undefined : t('auth.invalidEmail'));

export const passwordProblem = (password: string, min: number, t: Translate) =>
  password.length >= min && password.length <= 128 ? undefined : t('auth.passwordLength', { min, max: 128 });

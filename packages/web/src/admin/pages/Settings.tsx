import { useEffect, useMemo, useState } from 'react';
import { Link as RouterLink, Navigate, useNavigate, useParams } from 'react-router';
import {
  Alert, Box, Button, Card, CardContent, FormControlLabel, LinearProgress, List, ListItemButton, ListItemText,
  MenuItem, Paper, Stack, Switch, TextField, Typography,
} from '@mui/material';
import { useNotify } from '../../components/Notifier.tsx';
import { adminApi } from '../api.ts';
import { useAdminI18n, type AdminI18n } from '../i18n/index.ts';
import { PageHeader } from '../components/common.tsx';
import { allKeys, SETTING_PAGES, type SettingField, type SettingPage } from './settingsSchema.ts';
import type { AdminGroup } from '../types.ts';

type Values = Record<string, string>;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The problem with one field's value, or undefined. */
function fieldProblem(f: SettingField, value: string, t: AdminI18n['t']): string | undefined {
  const v = value.trim();
  switch (f.kind) {
    case 'int':
      if (!/^\d+$/.test(v)) return t('admin.common.mustBeInt');
      if (f.min !== undefined && Number(v) < f.min) return t('admin.common.mustBeAtLeast', { min: f.min });
      return undefined;
    case 'json':
      try {
        JSON.parse(v || 'null');
        return undefined;
      } catch {
        return t('admin.common.invalidJson');
      }
    case 'urls':
      if (!v) return t('admin.common.required');
      for (const u of v.split(',')) {
        try {
          const parsed = new URL(u.trim());
          if (!/^https?:$/.test(parsed.protocol)) return t('admin.common.invalidUrl');
        } catch {
          return t('admin.common.invalidUrl');
        }
      }
      return undefined;
    case 'email':
      return v && !EMAIL.test(v) ? t('admin.common.invalidEmail') : undefined;
    default:
      return undefined;
  }
}

function TestExecutable({ name, executable }: { name: NonNullable<SettingField['testExecutable']>; executable: string }) {
  const { t, err } = useAdminI18n();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      variant="outlined"
      disabled={busy || !executable.trim()}
      sx={{ flexShrink: 0, alignSelf: 'flex-start', mt: 1 }}
      data-testid={`test-${name}`}
      onClick={async () => {
        setBusy(true);
        try {
          const version = await adminApi.testThumbExecutable(name, executable.trim());
          notify(t('admin.common.testOk', { detail: String(version).slice(0, 120) }), 'success');
        } catch (e) {
          notify(err(e), 'error');
        } finally {
          setBusy(false);
        }
      }}
    >
      {t('admin.common.test')}
    </Button>
  );
}

function Field({ f, value, error, onChange, groups }: { f: SettingField; value: string; error?: string; onChange(v: string): void; groups: AdminGroup[] }) {
  const { tx } = useAdminI18n();
  const label = tx(f.label ?? `admin.set.${f.key}`, f.key);
  const helper = error ?? (f.help ? tx(f.help) : undefined);
  const testId = `setting-${f.key}`;
  if (f.kind === 'bool') {
    return (
      <FormControlLabel
        control={<Switch checked={value === '1'} onChange={(e) => onChange(e.target.checked ? '1' : '0')} slotProps={{ input: { 'data-testid': testId } as object }} />}
        label={<><Typography variant="body2">{label}</Typography>{helper && <Typography variant="caption" color="text.secondary">{helper}</Typography>}</>}
        sx={{ alignItems: 'center', ml: 0, mr: 0, gap: 1 }}
      />
    );
  }
  if (f.kind === 'select') {
    const options = f.key === 'default_group'
      ? groups.filter((g) => g.id !== 3).map((g) => ({ value: String(g.id), label: g.name }))
      : (f.options ?? []).map((o) => ({ value: o, label: tx(`admin.opt.${f.key}.${o}`, o) }));
    if (value && !options.some((o) => o.value === value)) options.push({ value, label: value });
    return (
      <TextField select label={label} value={value} onChange={(e) => onChange(e.target.value)} error={Boolean(error)} helperText={helper} slotProps={{ htmlInput: { 'data-testid': testId } }}>
        {options.map((o) => <MenuItem key={o.value} value={o.value}>{o.label}</MenuItem>)}
      </TextField>
    );
  }
  const multiline = f.kind === 'multiline' || f.kind === 'json';
  const input = (
    <TextField
      label={label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={Boolean(error)}
      helperText={helper}
      type={f.kind === 'secret' ? 'password' : 'text'}
      autoComplete={f.kind === 'secret' ? 'new-password' : 'off'}
      multiline={multiline}
      minRows={multiline ? 3 : undefined}
      maxRows={multiline ? 14 : undefined}
      slotProps={{ htmlInput: { 'data-testid': testId, inputMode: f.kind === 'int' ? 'numeric' : undefined, spellCheck: false, style: f.kind === 'json' ? { fontFamily: 'monospace', fontSize: 13 } : undefined } }}
    />
  );
  if (!f.testExecutable) return input;
  return (
    <Stack direction="row" spacing={1}>
      {input}
      <TestExecutable name={f.testExecutable} executable={value} />
    </Stack>
  );
}

function TestMail({ values }: { values: Values }) {
  const { t, err } = useAdminI18n();
  const notify = useNotify();
  const [to, setTo] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <Card variant="outlined" sx={{ mt: 2 }}>
      <CardContent>
        <Typography variant="subtitle1" sx={{ fontWeight: 600, mb: 1.5 }}>{t('admin.settings.testMail')}</Typography>
        <Stack direction={{ xs: 'column', sm: 'row' }} spacing={1} component="form" noValidate onSubmit={async (e) => {
          e.preventDefault();
          if (!EMAIL.test(to.trim())) return setProblem(t('admin.common.invalidEmail'));
          setProblem(undefined);
          setBusy(true);
          try {
            await adminApi.testMail(to.trim(), {
              smtpHost: values.smtpHost ?? '', smtpPort: values.smtpPort ?? '', smtpUser: values.smtpUser ?? '', smtpPass: values.smtpPass ?? '',
              smtpEncryption: values.smtpEncryption ?? '0', fromAdress: values.fromAdress ?? '', replyTo: values.replyTo ?? '', fromName: values.fromName ?? '',
            });
            notify(t('admin.settings.testMailSent', { to: to.trim() }), 'success');
          } catch (ex) {
            setProblem(err(ex));
          } finally {
            setBusy(false);
          }
        }}>
          <TextField size="small" label={t('admin.settings.testMailTo')} value={to} onChange={(e) => setTo(e.target.value)} error={Boolean(problem)} helperText={problem} slotProps={{ htmlInput: { 'data-testid': 'test-mail-to', inputMode: 'email' } }} />
          <Button type="submit" variant="outlined" disabled={busy} sx={{ flexShrink: 0, alignSelf: 'flex-start' }} data-testid="test-mail-send">{t('admin.settings.testMailSend')}</Button>
        </Stack>
      </CardContent>
    </Card>
  );
}

function SettingsForm({ page }: { page: SettingPage }) {
  const { t, tx, err } = useAdminI18n();
  const notify = useNotify();
  const keys = useMemo(() => allKeys(page), [page]);
  const [saved, setSaved] = useState<Values | null>(null);
  const [values, setValues] = useState<Values>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [loadError, setLoadError] = useState<string | undefined>();
  const [saveError, setSaveError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [groups, setGroups] = useState<AdminGroup[]>([]);

  useEffect(() => {
    let live = true;
    setSaved(null);
    setErrors({});
    setSaveError(undefined);
    adminApi.getSettings(keys).then((v) => {
      if (!live) return;
      const full = Object.fromEntries(keys.map((k) => [k, v[k] ?? '']));
      setSaved(full);
      setValues(full);
      setLoadError(undefined);
    }).catch((e) => live && setLoadError(err(e)));
    if (keys.includes('default_group')) adminApi.groups({ page: 1, page_size: 100 }).then((g) => live && setGroups(g.items)).catch(() => undefined);
    return () => {
      live = false;
    };
  }, [keys, err]);

  const visible = (f: SettingField) => !f.when || f.when(values);
  const changed = saved ? keys.filter((k) => values[k] !== saved[k]) : [];

  const save = async () => {
    const problems: Record<string, string> = {};
    for (const s of page.sections) for (const f of s.fields) {
      if (!visible(f) || !changed.includes(f.key)) continue;
      const p = fieldProblem(f, values[f.key] ?? '', t);
      if (p) problems[f.key] = p;
    }
    setErrors(problems);
    if (Object.keys(problems).length) return setSaveError(t('admin.common.fixErrors'));
    setBusy(true);
    setSaveError(undefined);
    try {
      const echo = await adminApi.saveSettings(Object.fromEntries(changed.map((k) => [k, values[k]!])));
      const next = { ...saved!, ...Object.fromEntries(changed.map((k) => [k, echo?.[k] ?? values[k]!])) };
      setSaved(next);
      setValues(next);
      notify(t('admin.common.saved'), 'success');
    } catch (e) {
      setSaveError(err(e));
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <Alert severity="error">{loadError}</Alert>;
  if (!saved) return <LinearProgress />;
  return (
    <>
      <Box component="form" noValidate onSubmit={(e) => { e.preventDefault(); void save(); }} data-testid={`settings-${page.id}`}>
        {page.sections.map((s, i) => (
          <Card key={s.title ?? i} variant="outlined" sx={{ mb: 2 }}>
            <CardContent>
              {s.title && <Typography variant="subtitle1" sx={{ fontWeight: 600, mb: 1.5 }}>{tx(s.title)}</Typography>}
              <Stack spacing={2}>
                {s.fields.filter(visible).map((f) => (
                  <Field key={f.key} f={f} value={values[f.key] ?? ''} error={errors[f.key]} groups={groups} onChange={(v) => {
                    setValues((old) => ({ ...old, [f.key]: v }));
                    setErrors(({ [f.key]: _, ...rest }) => rest);
                  }} />
                ))}
              </Stack>
            </CardContent>
          </Card>
        ))}
        {(changed.length > 0 || saveError) && <Paper
          elevation={3}
          sx={{ position: 'sticky', bottom: 0, mt: 2, p: 1.5, display: 'flex', flexWrap: 'wrap', gap: 1, alignItems: 'center', border: 1, borderColor: 'divider' }}
        >
          {saveError ? <Alert severity="error" sx={{ flex: '1 1 100%' }} data-testid="settings-error">{saveError}</Alert> : null}
          <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>{changed.length ? t('admin.settings.unsaved') : ''}</Typography>
          <Button disabled={!changed.length || busy} onClick={() => { setValues(saved); setErrors({}); setSaveError(undefined); }}>{t('admin.settings.discard')}</Button>
          <Button type="submit" variant="contained" disabled={!changed.length || busy} data-testid="settings-save">{t('admin.common.save')}</Button>
        </Paper>}
      </Box>
      {page.tool === 'testMail' && <TestMail values={values} />}
    </>
  );
}

export default function Settings() {
  const { t, tx } = useAdminI18n();
  const { page: id } = useParams();
  const navigate = useNavigate();
  const page = SETTING_PAGES.find((p) => p.id === id);
  if (!page) return <Navigate to="/admin/settings/site" replace />;
  const title = (p: SettingPage) => tx(`admin.settings.page.${p.id}`);
  return (
    <Box sx={{ display: 'flex', gap: 3, alignItems: 'flex-start', maxWidth: 1100 }}>
      <Paper variant="outlined" sx={{ width: 220, flexShrink: 0, display: { xs: 'none', md: 'block' }, position: 'sticky', top: 0 }}>
        <List dense aria-label={t('admin.nav.settings')}>
          {SETTING_PAGES.map((p) => (
            <ListItemButton key={p.id} component={RouterLink} to={`/admin/settings/${p.id}`} selected={p.id === page.id} data-testid={`settings-nav-${p.id}`}>
              <ListItemText primary={title(p)} />
            </ListItemButton>
          ))}
        </List>
      </Paper>
      <Box sx={{ flex: 1, minWidth: 0 }}>
        <PageHeader title={t('admin.nav.settings')} />
        <TextField
          select
          label={t('admin.nav.settings')}
          value={page.id}
          onChange={(e) => navigate(`/admin/settings/${e.target.value}`)}
          sx={{ display: { md: 'none' }, mb: 2 }}
          slotProps={{ htmlInput: { 'data-testid': 'settings-page-select' } }}
        >
          {SETTING_PAGES.map((p) => <MenuItem key={p.id} value={p.id}>{title(p)}</MenuItem>)}
        </TextField>
        <Typography variant="subtitle1" sx={{ fontWeight: 650, mb: 1.5, display: { xs: 'none', md: 'block' } }}>{title(page)}</Typography>
        <SettingsForm key={page.id} page={page} />
      </Box>
    </Box>
  );
}


import { useEffect, useState } from 'react';
import { Alert, Box, Button, Card, CardContent, Chip, LinearProgress, Stack, Typography, useMediaQuery, useTheme } from '@mui/material';
import { formatDate } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n, type AdminKey } from '../i18n/index.ts';
import { PageHeader } from '../components/common.tsx';
import type { HomepageSummary, MetricsSummary, QueueMetric } from '../types.ts';

const SERIES = [
  { key: 'users', label: 'admin.summary.users' },
  { key: 'files', label: 'admin.summary.files' },
  { key: 'shares', label: 'admin.summary.shares' },
] as const;

/** New users/files/shares per day as grouped bars in plain SVG (no chart library). */
function ActivityChart({ m, language }: { m: MetricsSummary; language: string }) {
  const { t } = useAdminI18n();
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down('sm'));
  const colors = [theme.palette.primary.main, theme.palette.success.main, theme.palette.warning.main];
  // A narrower drawing on phones keeps the text readable once the SVG is scaled to the screen.
  const W = phone ? 340 : 600;
  const H = phone ? 180 : 200;
  const pad = { l: 32, r: 8, t: 10, b: 28 };
  const max = Math.max(1, ...m.users, ...m.files, ...m.shares);
  const days = m.dates.length || 1;
  const slot = (W - pad.l - pad.r) / days;
  const bar = Math.max(2, (slot - 6) / 3);
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const ticks = [0, Math.round(max / 2), max];
  const day = new Intl.DateTimeFormat(language, { month: 'numeric', day: 'numeric' });
  return (
    <Box>
      <Box component="svg" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('admin.summary.chartLabel')} data-testid="activity-chart" sx={{ width: '100%', height: 'auto', display: 'block' }}>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} stroke={theme.palette.divider} />
            <text x={pad.l - 6} y={y(v) + 4} textAnchor="end" fontSize="11" fill={theme.palette.text.secondary}>{v}</text>
          </g>
        ))}
        {m.dates.map((d, i) => (
          <g key={d}>
            {SERIES.map((s, j) => {
              const v = m[s.key][i] ?? 0;
              return (
                <rect key={s.key} x={pad.l + i * slot + 3 + j * bar} y={y(v)} width={bar - 1} height={y(0) - y(v)} fill={colors[j]} rx={1.5}>
                  <title>{`${day.format(new Date(d))} ${t(s.label)}: ${v}`}</title>
                </rect>
              );
            })}
            {(phone ? (days - 1 - i) % 4 === 0 : (days - 1 - i) % 2 === 0) && (
              <text x={pad.l + i * slot + slot / 2} y={H - 8} textAnchor="middle" fontSize="11" fill={theme.palette.text.secondary}>{day.format(new Date(d))}</text>
            )}
          </g>
        ))}
      </Box>
      <Stack direction="row" spacing={2} sx={{ mt: 1, flexWrap: 'wrap' }}>
        {SERIES.map((s, j) => (
          <Stack key={s.key} direction="row" spacing={0.75} sx={{ alignItems: 'center' }}>
            <Box sx={{ width: 10, height: 10, borderRadius: 0.5, bgcolor: colors[j] }} />
            <Typography variant="caption">{t(s.label)}</Typography>
          </Stack>
        ))}
      </Stack>
    </Box>
  );
}

function Stat({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <Card variant="outlined" sx={{ flex: '1 1 140px' }}>
      <CardContent sx={{ py: 1.5, '&:last-child': { pb: 1.5 } }}>
        <Typography variant="body2" color="text.secondary">{label}</Typography>
        <Typography variant="h5" data-testid={testId}>{value.toLocaleString()}</Typography>
      </CardContent>
    </Card>
  );
}

const QUEUE_COLUMNS: [keyof QueueMetric, AdminKey][] = [
  ['busy_workers', 'admin.summary.queue.busy'],
  ['submitted_tasks', 'admin.summary.queue.submitted'],
  ['success_tasks', 'admin.summary.queue.success'],
  ['failure_tasks', 'admin.summary.queue.failure'],
  ['suspending_tasks', 'admin.summary.queue.suspending'],
];

export default function Summary() {
  const { t, tx, err, language } = useAdminI18n();
  const [summary, setSummary] = useState<HomepageSummary | null>(null);
  const [queues, setQueues] = useState<QueueMetric[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const load = async (generate: boolean) => {
    setBusy(true);
    try {
      let s = await adminApi.summary(generate);
      // Without a cached count the server answers null; then ask it to count (as the dashboard does).
      if (!s.metrics_summary && !generate) s = await adminApi.summary(true);
      setSummary(s);
      setError(undefined);
    } catch (e) {
      setError(err(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void load(false);
    adminApi.queueMetrics().then(setQueues).catch(() => setQueues(null));
  }, []);

  const m = summary?.metrics_summary;
  return (
    <Box sx={{ maxWidth: 1100 }}>
      <PageHeader title={t('admin.nav.summary')}>
        <Button onClick={() => load(true)} disabled={busy} data-testid="summary-recount">{t('admin.summary.recount')}</Button>
      </PageHeader>
      {busy && !summary && <LinearProgress />}
      {error && <Alert severity="error" sx={{ mb: 2 }}>{error}</Alert>}
      {m && (
        <>
          <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 1.5, mb: 2 }}>
            <Stat label={t('admin.summary.users')} value={m.user_total} testId="total-users" />
            <Stat label={t('admin.summary.files')} value={m.file_total} testId="total-files" />
            <Stat label={t('admin.summary.shares')} value={m.share_total} testId="total-shares" />
            <Stat label={t('admin.summary.blobs')} value={m.entities_total} testId="total-blobs" />
          </Stack>
          <Card variant="outlined" sx={{ mb: 2 }}>
            <CardContent>
              <Typography variant="subtitle1" sx={{ fontWeight: 600 }}>{t('admin.summary.activity')}</Typography>
              <Typography variant="caption" color="text.secondary" component="p" sx={{ mb: 1 }}>{t('admin.summary.generatedAt', { time: formatDate(m.generated_at, language) })}</Typography>
              <ActivityChart m={m} language={language} />
            </CardContent>
          </Card>
        </>
      )}
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
        {queues && (
          <Card variant="outlined" tabIndex={0} role="region" aria-label={t('admin.summary.queues')} sx={{ flex: 2, overflowX: 'auto' }}>
            <CardContent>
              <Typography variant="subtitle1" sx={{ fontWeight: 600, mb: 1 }}>{t('admin.summary.queues')}</Typography>
              <Box component="table" sx={{ width: '100%', borderCollapse: 'collapse', fontSize: 14, '& td, & th': { py: 0.5, px: 1, textAlign: 'right' }, '& th:first-of-type, & td:first-of-type': { textAlign: 'left', pl: 0 } }}>
                <thead>
                  <tr>
                    <td />
                    {QUEUE_COLUMNS.map(([k, label]) => <Box component="th" key={k} sx={{ color: 'text.secondary', fontWeight: 500 }}>{t(label)}</Box>)}
                  </tr>
                </thead>
                <tbody>
                  {queues.map((q) => (
                    <tr key={q.name}>
                      <td>{tx(`admin.queue.${q.name}`, q.name)}</td>
                      {QUEUE_COLUMNS.map(([k]) => <td key={k}>{q[k]}</td>)}
                    </tr>
                  ))}
                </tbody>
              </Box>
            </CardContent>
          </Card>
        )}
        {summary && (
          <Card variant="outlined" sx={{ flex: 1 }}>
            <CardContent>
              <Typography variant="subtitle1" sx={{ fontWeight: 600, mb: 1 }}>{t('admin.summary.version')}</Typography>
              <Typography variant="body2" data-testid="summary-version">
                {summary.version.version}{summary.version.commit ? ` (${summary.version.commit.slice(0, 7)})` : ''}
              </Typography>
              <Typography variant="subtitle2" sx={{ mt: 2, mb: 0.5 }}>{t('admin.summary.siteUrls')}</Typography>
              <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 0.5 }}>
                {summary.site_urls.map((u) => <Chip key={u} size="small" label={u} sx={{ maxWidth: '100%' }} />)}
              </Stack>
            </CardContent>
          </Card>
        )}
      </Stack>
    </Box>
  );
}

import { useState } from 'react';
import { Box, Chip, Typography } from '@mui/material';
import { formatDate } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n } from '../i18n/index.ts';
import { Details, PageHeader } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import { ViewDialog } from '../components/ViewDialog.tsx';
import { TASK_STATUSES, TASK_TYPES, type AdminTask } from '../types.ts';

const COLORS: Record<string, 'default' | 'success' | 'error' | 'info' | 'warning'> = {
  completed: 'success', error: 'error', processing: 'info', suspending: 'warning', queued: 'default', canceled: 'default',
};

const duration = (ns?: number) => {
  if (!ns) return '—';
  const s = ns / 1e9;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
};

export default function Tasks() {
  const { t, tx, language } = useAdminI18n();
  const [viewing, setViewing] = useState<number | null>(null);
  const status = (s?: string) => <Chip size="small" variant="outlined" color={COLORS[s ?? ''] ?? 'default'} label={tx(`admin.task.status.${s}`, s ?? '')} />;
  const columns: Column<AdminTask>[] = [
    { id: 'id', label: t('admin.common.id'), sort: 'id', render: (x) => x.id },
    { id: 'type', label: t('admin.task.type'), render: (x) => x.type },
    { id: 'status', label: t('admin.common.status'), render: (x) => status(x.status) },
    { id: 'user', label: t('admin.common.owner'), render: (x) => x.edges.user?.nick ?? x.user_tasks ?? '—', wide: true },
    { id: 'created', label: t('admin.common.created'), sort: 'created_at', render: (x) => formatDate(x.created_at ?? '', language), wide: true },
  ];
  return (
    <Box>
      <PageHeader title={t('admin.nav.tasks')} />
      <ResourceTable<AdminTask>
        testId="tasks-table"
        list={adminApi.tasks}
        columns={columns}
        filters={[
          { key: 'task_type', label: t('admin.task.type'), kind: 'select', options: TASK_TYPES.map((v) => ({ value: v, label: v })) },
          { key: 'task_status', label: t('admin.common.status'), kind: 'select', options: TASK_STATUSES.map((v) => ({ value: v, label: tx(`admin.task.status.${v}`, v) })) },
          { key: 'task_user_id', label: t('admin.task.userId'), kind: 'int' },
          { key: 'task_correlation_id', label: t('admin.task.correlation'), kind: 'uuid' },
        ]}
        rowName={(x) => `${x.type ?? ''} #${x.id}`}
        onView={(x) => setViewing(x.id)}
        onDelete={(ids) => adminApi.deleteTasks(ids)}
      />
      {viewing !== null && (
        <ViewDialog<AdminTask>
          testId="task-view"
          title={t('admin.view.task', { id: viewing })}
          load={() => adminApi.task(viewing)}
          onClose={() => setViewing(null)}
          render={(x) => (
            <>
              <Details rows={[
                [t('admin.task.type'), x.type],
                [t('admin.common.status'), status(x.status)],
                [t('admin.common.owner'), x.edges.user ? `${x.edges.user.nick ?? ''} (#${x.edges.user.id})` : x.user_tasks ?? '—'],
                [t('admin.task.correlation'), x.correlation_id],
                [t('admin.task.retries'), x.public_state?.retry_count ?? 0],
                [t('admin.task.duration'), duration(x.public_state?.executed_duration)],
                [t('admin.task.node'), x.node?.name ?? '—'],
                [t('admin.common.created'), formatDate(x.created_at ?? '', language)],
                [t('admin.common.updated'), formatDate(x.updated_at ?? '', language)],
              ]} />
              {x.public_state?.error && (
                <Typography variant="body2" color="error" sx={{ mt: 2, whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid="task-error">
                  {t('admin.task.error')}: {x.public_state.error}
                </Typography>
              )}
              {(x.public_state?.error_history?.length ?? 0) > 0 && (
                <Box sx={{ mt: 1 }}>
                  <Typography variant="subtitle2">{t('admin.task.errorHistory')}</Typography>
                  <Box component="ol" sx={{ m: 0, pl: 3, fontSize: 13 }}>
                    {x.public_state!.error_history!.map((e, i) => <li key={i}>{e}</li>)}
                  </Box>
                </Box>
              )}
              {x.summary && (
                <Box sx={{ mt: 2 }}>
                  <Typography variant="subtitle2">{t('admin.task.log')}</Typography>
                  <Box component="pre" sx={{ fontSize: 12, bgcolor: 'action.hover', p: 1.5, borderRadius: 1, overflow: 'auto', maxHeight: 240, m: 0 }}>
                    {JSON.stringify(x.summary, null, 2)}
                  </Box>
                </Box>
              )}
            </>
          )}
        />
      )}
    </Box>
  );
}

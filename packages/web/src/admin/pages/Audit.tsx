import { Box, Typography } from '@mui/material';
import { formatDate } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n } from '../i18n/index.ts';
import { PageHeader } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import type { AuditEntry } from '../types.ts';

/** What changed, as `key: value` pairs on one line. */
const detailText = (d?: Record<string, unknown>) =>
  d ? Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ') : '';

export default function Audit() {
  const { t, language } = useAdminI18n();
  const columns: Column<AuditEntry>[] = [
    { id: 'time', label: t('admin.common.created'), sort: 'created_at', render: (a) => formatDate(a.created_at ?? '', language) },
    { id: 'user', label: t('admin.audit.user'), render: (a) => a.edges.user?.nick ?? a.edges.user?.email ?? `#${a.actor_id ?? ''}` },
    { id: 'action', label: t('admin.audit.action'), sort: 'action', render: (a) => <Typography component="code" variant="body2" sx={{ fontFamily: 'monospace' }}>{a.action}</Typography> },
    { id: 'target', label: t('admin.audit.target'), render: (a) => a.target, wide: true },
    { id: 'detail', label: t('admin.audit.detail'), render: (a) => <span title={detailText(a.detail)}>{detailText(a.detail)}</span>, wide: true },
    { id: 'ip', label: t('admin.audit.ip'), render: (a) => a.ip, wide: true },
  ];
  return (
    <Box>
      <PageHeader title={t('admin.nav.audit')} />
      <ResourceTable<AuditEntry>
        testId="audit-table"
        list={adminApi.audit}
        columns={columns}
        defaultSort={{ by: 'created_at', dir: 'desc' }}
        filters={[
          { key: 'audit_action', label: t('admin.audit.actionFilter'), kind: 'text' },
          { key: 'audit_actor', label: t('admin.audit.actorFilter'), kind: 'int' },
          { key: 'audit_target', label: t('admin.audit.targetFilter'), kind: 'text' },
        ]}
      />
    </Box>
  );
}

import { useState } from 'react';
import { Box, Checkbox, FormControlLabel } from '@mui/material';
import { formatDate, formatSize } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n, type AdminKey } from '../i18n/index.ts';
import { Details, PageHeader } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import { ViewDialog } from '../components/ViewDialog.tsx';
import type { AdminEntity } from '../types.ts';

export default function Blobs() {
  const { t, language } = useAdminI18n();
  const [viewing, setViewing] = useState<number | null>(null);
  const [force, setForce] = useState(false);
  const typeName = (n?: number) => t(`admin.blob.type.${n ?? 0}` as AdminKey);
  const columns: Column<AdminEntity>[] = [
    { id: 'id', label: t('admin.common.id'), sort: 'id', render: (e) => e.id },
    { id: 'type', label: t('admin.common.type'), render: (e) => typeName(e.type) },
    { id: 'source', label: t('admin.blob.source'), render: (e) => e.source, wide: true },
    { id: 'size', label: t('admin.common.size'), sort: 'size', render: (e) => formatSize(e.size ?? 0), align: 'right' },
    { id: 'refs', label: t('admin.blob.refs'), sort: 'reference_count', render: (e) => e.reference_count ?? 0, align: 'right' },
    { id: 'created', label: t('admin.common.created'), sort: 'created_at', render: (e) => formatDate(e.created_at ?? '', language), wide: true },
  ];
  return (
    <Box>
      <PageHeader title={t('admin.nav.blobs')} />
      <ResourceTable<AdminEntity>
        testId="blobs-table"
        list={adminApi.entities}
        columns={columns}
        filters={[
          { key: 'entity_user', label: t('admin.file.userId'), kind: 'int' },
          { key: 'entity_policy', label: t('admin.file.policyId'), kind: 'int' },
          { key: 'entity_type', label: t('admin.common.type'), kind: 'select', options: [0, 1, 2].map((n) => ({ value: String(n), label: typeName(n) })) },
        ]}
        rowName={(e) => `#${e.id}`}
        onView={(e) => setViewing(e.id)}
        onDelete={(ids) => adminApi.deleteEntities(ids, force)}
        deleteOptions={<FormControlLabel sx={{ mt: 1 }} control={<Checkbox checked={force} onChange={(e) => setForce(e.target.checked)} />} label={t('admin.blob.force')} />}
      />
      {viewing !== null && (
        <ViewDialog<AdminEntity>
          testId="blob-view"
          title={t('admin.view.blob', { id: viewing })}
          load={() => adminApi.entity(viewing)}
          onClose={() => setViewing(null)}
          render={(e) => (
            <Details rows={[
              [t('admin.common.type'), typeName(e.type)],
              [t('admin.blob.source'), e.source],
              [t('admin.common.size'), formatSize(e.size ?? 0)],
              [t('admin.blob.refs'), e.reference_count ?? 0],
              [t('admin.common.policy'), e.edges.storage_policy?.name ?? e.storage_policy_entities ?? '—'],
              [t('admin.common.owner'), e.edges.user?.nick ?? e.created_by ?? '—'],
              [t('admin.nav.files'), (e.edges.file ?? []).map((f) => `${f.name} (#${f.id})`).join(', ') || '—'],
              [t('admin.common.created'), formatDate(e.created_at ?? '', language)],
            ]} />
          )}
        />
      )}
    </Box>
  );
}

import { useState } from 'react';
import { Box, Button, Chip } from '@mui/material';
import { useNotify } from '../../components/Notifier.tsx';
import { formatDate, formatSize } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n } from '../i18n/index.ts';
import { Details, PageHeader } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import { ViewDialog } from '../components/ViewDialog.tsx';
import type { AdminFile } from '../types.ts';

export default function Files() {
  const { t, err, language } = useAdminI18n();
  const notify = useNotify();
  const [viewing, setViewing] = useState<number | null>(null);
  const columns: Column<AdminFile>[] = [
    { id: 'id', label: t('admin.common.id'), sort: 'id', render: (f) => f.id },
    { id: 'name', label: t('admin.common.name'), sort: 'name', render: (f) => f.name },
    { id: 'type', label: t('admin.common.type'), render: (f) => <Chip size="small" variant="outlined" label={f.type === 1 ? t('admin.file.folder') : t('admin.file.file')} /> },
    { id: 'size', label: t('admin.common.size'), sort: 'size', render: (f) => (f.type === 1 ? '—' : formatSize(f.size ?? 0)), align: 'right' },
    { id: 'owner', label: t('admin.common.owner'), render: (f) => f.edges.owner?.nick ?? f.owner_id, wide: true },
    { id: 'created', label: t('admin.common.created'), sort: 'created_at', render: (f) => formatDate(f.created_at ?? '', language), wide: true },
  ];
  return (
    <Box>
      <PageHeader title={t('admin.nav.files')} />
      <ResourceTable<AdminFile>
        testId="files-table"
        list={adminApi.files}
        columns={columns}
        filters={[
          { key: 'file_name', label: t('admin.file.nameContains'), kind: 'text' },
          { key: 'file_user', label: t('admin.file.userId'), kind: 'int' },
          { key: 'file_policy', label: t('admin.file.policyId'), kind: 'int' },
        ]}
        rowName={(f) => f.name}
        onView={(f) => setViewing(f.id)}
        onDelete={(ids) => adminApi.deleteFiles(ids)}
      />
      {viewing !== null && (
        <ViewDialog<AdminFile>
          testId="file-view"
          title={t('admin.view.file', { id: viewing })}
          load={() => adminApi.file(viewing)}
          onClose={() => setViewing(null)}
          actions={(f) => f.type !== 1 && f.primary_entity ? (
            <Button data-testid="file-download" onClick={async () => {
              try {
                window.open(await adminApi.fileUrl(f.id), '_blank', 'noopener');
              } catch (e) {
                notify(err(e), 'error');
              }
            }}>{t('admin.file.download')}</Button>
          ) : undefined}
          render={(f) => (
            <Details rows={[
              [t('admin.common.name'), f.name],
              [t('admin.common.type'), f.type === 1 ? t('admin.file.folder') : t('admin.file.file')],
              [t('admin.common.size'), formatSize(f.size ?? 0)],
              [t('admin.common.owner'), `${f.edges.owner?.nick ?? ''} (#${f.owner_id ?? ''})`],
              [t('admin.file.parent'), f.file_children ?? '—'],
              [t('admin.common.policy'), f.edges.storage_policies?.name ?? f.storage_policy_files ?? '—'],
              [t('admin.file.blobs'), (f.edges.entities ?? []).map((e) => `#${e.id} ${formatSize(e.size ?? 0)}`).join(', ') || '—'],
              [t('admin.file.metadata'), (f.edges.metadata ?? []).map((m) => `${m.name}=${m.value}`).join('; ') || '—'],
              [t('admin.common.created'), formatDate(f.created_at ?? '', language)],
              [t('admin.common.updated'), formatDate(f.updated_at ?? '', language)],
            ]} />
          )}
        />
      )}
    </Box>
  );
}

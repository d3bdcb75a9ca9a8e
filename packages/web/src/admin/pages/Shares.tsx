import { useState } from 'react';
import { Box, Link } from '@mui/material';
import { formatDate } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n } from '../i18n/index.ts';
import { Details, PageHeader } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import { ViewDialog } from '../components/ViewDialog.tsx';
import type { AdminShare } from '../types.ts';

export default function Shares() {
  const { t, language } = useAdminI18n();
  const [viewing, setViewing] = useState<number | null>(null);
  const columns: Column<AdminShare>[] = [
    { id: 'id', label: t('admin.common.id'), sort: 'id', render: (s) => s.id },
    { id: 'file', label: t('admin.share.file'), render: (s) => s.edges.file?.name ?? '—' },
    { id: 'user', label: t('admin.common.owner'), render: (s) => s.edges.user?.nick ?? '—', wide: true },
    { id: 'views', label: t('admin.share.views'), sort: 'views', render: (s) => s.views ?? 0, align: 'right' },
    { id: 'downloads', label: t('admin.share.downloads'), sort: 'downloads', render: (s) => s.downloads ?? 0, align: 'right', wide: true },
    { id: 'expires', label: t('admin.share.expires'), render: (s) => (s.expires ? formatDate(s.expires, language) : '—'), wide: true },
  ];
  return (
    <Box>
      <PageHeader title={t('admin.nav.shares')} />
      <ResourceTable<AdminShare>
        testId="shares-table"
        list={adminApi.shares}
        columns={columns}
        filters={[
          { key: 'share_user_id', label: t('admin.share.userId'), kind: 'int' },
          { key: 'share_file_id', label: t('admin.share.fileId'), kind: 'int' },
        ]}
        rowName={(s) => s.edges.file?.name ?? `#${s.id}`}
        onView={(s) => setViewing(s.id)}
        onDelete={(ids) => adminApi.deleteShares(ids)}
      />
      {viewing !== null && (
        <ViewDialog<AdminShare>
          testId="share-view"
          title={t('admin.view.share', { id: viewing })}
          load={() => adminApi.share(viewing)}
          onClose={() => setViewing(null)}
          render={(s) => (
            <Details rows={[
              [t('admin.share.link'), s.share_link ? <Link href={s.share_link} target="_blank" rel="noopener">{s.share_link}</Link> : '—'],
              [t('admin.share.file'), s.edges.file ? `${s.edges.file.name} (#${s.edges.file.id})` : '—'],
              [t('admin.common.owner'), s.edges.user ? `${s.edges.user.nick ?? ''} (#${s.edges.user.id})` : '—'],
              [t('admin.share.password'), s.password ? t('admin.common.yes') : t('admin.common.no')],
              [t('admin.share.views'), s.views ?? 0],
              [t('admin.share.downloads'), s.downloads ?? 0],
              [t('admin.share.remain'), s.remain_downloads ?? '—'],
              [t('admin.share.expires'), s.expires ? formatDate(s.expires, language) : '—'],
              [t('admin.common.created'), formatDate(s.created_at ?? '', language)],
            ]} />
          )}
        />
      )}
    </Box>
  );
}

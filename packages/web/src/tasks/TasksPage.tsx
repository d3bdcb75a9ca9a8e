import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { Alert, Box, Button, CircularProgress, IconButton, Stack, Tab, Tabs, Tooltip, Typography } from '@mui/material';
import RefreshIcon from '@mui/icons-material/Refresh';
import CloudDownloadOutlinedIcon from '@mui/icons-material/CloudDownloadOutlined';
import InboxOutlinedIcon from '@mui/icons-material/InboxOutlined';
import { useSession } from '../auth/session.ts';
import { Boolset } from '../util/boolset.ts';
import type { TaskCategory } from './api.ts';
import { useTasksI18n } from './i18n/index.ts';
import { TaskCard } from './TaskCard.tsx';
import TaskDialogs, { type TaskRequest } from './TaskDialogs.tsx';
import { useTaskList } from './useTaskList.ts';

const TABS: readonly TaskCategory[] = ['downloading', 'downloaded', 'general'];
const PERM_REMOTE_DOWNLOAD = 9;

/** The caller's background tasks (contract 50 §1): remote downloads and compress/extract. */
export default function TasksPage() {
  const { t, err } = useTasksI18n();
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const tab = TABS.find((x) => x === params.get('tab')) ?? 'downloading';
  const list = useTaskList(tab);
  const [request, setRequest] = useState<TaskRequest | null>(null);
  const canDownload = new Boolset(session?.user.group?.permission).has(PERM_REMOTE_DOWNLOAD);

  return (
    <Box sx={{ flex: 1, minHeight: 0, overflow: 'auto' }} data-testid="tasks-page">
      <Box sx={{ maxWidth: 960, mx: 'auto', px: { xs: 1.5, sm: 3 }, py: 2 }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 1 }}>
          <Typography variant="h5" component="h1" sx={{ fontWeight: 650, flex: 1 }}>{t('tasks.title')}</Typography>
          <Tooltip title={t('tasks.refresh')}>
            <IconButton onClick={list.reload} aria-label={t('tasks.refresh')} data-testid="tasks-refresh"><RefreshIcon /></IconButton>
          </Tooltip>
          {canDownload && (
            <Button variant="contained" startIcon={<CloudDownloadOutlinedIcon />} onClick={() => setRequest({ kind: 'download' })} data-testid="tasks-new-download">
              {t('tasks.newDownload')}
            </Button>
          )}
        </Box>
        <Tabs
          value={tab}
          onChange={(_, v: TaskCategory) => setParams({ tab: v }, { replace: true })}
          variant="scrollable"
          allowScrollButtonsMobile
          aria-label={t('tasks.tabs')}
          sx={{ borderBottom: 1, borderColor: 'divider', mb: 2 }}
        >
          {TABS.map((x) => <Tab key={x} value={x} label={t(`tasks.tab.${x}`)} data-testid={`tasks-tab-${x}`} />)}
        </Tabs>

        {list.error ? (
          <Alert severity="error" action={<Button color="inherit" size="small" onClick={list.reload}>{t('tasks.refresh')}</Button>} sx={{ mb: 2 }} data-testid="tasks-error">
            {t('tasks.loadFailed')}: {err(list.error, 'download')}
          </Alert>
        ) : null}

        {!list.ready && !list.error ? (
          <Box sx={{ display: 'flex', justifyContent: 'center', py: 6 }}><CircularProgress aria-label={t('tasks.title')} /></Box>
        ) : list.ready && list.tasks.length === 0 ? (
          <Box sx={{ textAlign: 'center', py: 8, color: 'text.secondary' }} data-testid="tasks-empty">
            <InboxOutlinedIcon sx={{ fontSize: 56, opacity: 0.4 }} />
            <Typography variant="body1" sx={{ mt: 1 }}>{t(`tasks.empty.${tab}`)}</Typography>
          </Box>
        ) : (
          <Stack spacing={1.5} data-testid="task-list">
            {list.tasks.map((task) => <TaskCard key={task.id} task={task} onChanged={list.refresh} />)}
          </Stack>
        )}
        {list.hasMore && (
          <Box sx={{ display: 'flex', justifyContent: 'center', mt: 2 }}>
            <Button onClick={list.loadMore} disabled={list.loading} data-testid="tasks-load-more">{t('tasks.loadMore')}</Button>
          </Box>
        )}
      </Box>
      <TaskDialogs
        request={request}
        onClose={() => setRequest(null)}
        onCreated={() => {
          if (tab === 'downloading') list.refresh();
          else setParams({ tab: 'downloading' }, { replace: true });
        }}
      />
    </Box>
  );
}

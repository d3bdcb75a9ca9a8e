import { lazy, Suspense } from 'react';
import { Link as RouterLink, Navigate, Route, Routes, useLocation } from 'react-router';
import { Box, LinearProgress, Tab, Tabs } from '@mui/material';
import { useAdminI18n, type AdminKey } from './i18n/index.ts';
import { PageBoundary } from './components/PageBoundary.tsx';

const Summary = lazy(() => import('./pages/Summary.tsx'));
const Settings = lazy(() => import('./pages/Settings.tsx'));
const Users = lazy(() => import('./pages/Users.tsx'));
const Groups = lazy(() => import('./pages/Groups.tsx'));
const Policies = lazy(() => import('./pages/Policies.tsx'));
const Nodes = lazy(() => import('./pages/Nodes.tsx'));
const Files = lazy(() => import('./pages/Files.tsx'));
const Blobs = lazy(() => import('./pages/Blobs.tsx'));
const Shares = lazy(() => import('./pages/Shares.tsx'));
const Tasks = lazy(() => import('./pages/Tasks.tsx'));
const Audit = lazy(() => import('./pages/Audit.tsx'));

const SECTIONS = ['summary', 'settings', 'users', 'groups', 'policies', 'nodes', 'files', 'blobs', 'shares', 'tasks', 'audit'] as const;

/** The admin area (/admin/*): a scrollable row of section tabs over the section's page. */
export default function AdminApp() {
  const { t } = useAdminI18n();
  const { pathname } = useLocation();
  const current = SECTIONS.find((s) => pathname.startsWith(`/admin/${s}`)) ?? false;
  return (
    <Box sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column' }}>
      <Box sx={{ borderBottom: 1, borderColor: 'divider', bgcolor: 'background.paper' }}>
        <Tabs
          value={current}
          variant="scrollable"
          scrollButtons="auto"
          allowScrollButtonsMobile
          aria-label={t('admin.sections')}
          sx={{ minHeight: 44, '.MuiTab-root': { minHeight: 44, py: 1 } }}
        >
          {SECTIONS.map((s) => (
            <Tab key={s} value={s} label={t(`admin.nav.${s}` as AdminKey)} component={RouterLink} to={`/admin/${s}`} data-testid={`admin-tab-${s}`} />
          ))}
        </Tabs>
      </Box>
      <Box sx={{ flex: 1, minHeight: 0, overflow: 'auto', p: { xs: 1.5, sm: 3 } }}>
        <PageBoundary message={t('admin.common.loadFailed')} reloadLabel={t('admin.common.reload')} resetKey={pathname}>
          <Suspense fallback={<LinearProgress />}>
            <Routes>
              <Route index element={<Navigate to="summary" replace />} />
              <Route path="summary" element={<Summary />} />
              <Route path="settings" element={<Navigate to="site" replace />} />
              <Route path="settings/:page" element={<Settings />} />
              <Route path="users" element={<Users />} />
              <Route path="groups" element={<Groups />} />
              <Route path="policies" element={<Policies />} />
              <Route path="nodes" element={<Nodes />} />
              <Route path="files" element={<Files />} />
              <Route path="blobs" element={<Blobs />} />
              <Route path="shares" element={<Shares />} />
              <Route path="tasks" element={<Tasks />} />
              <Route path="audit" element={<Audit />} />
              <Route path="*" element={<Navigate to="summary" replace />} />
            </Routes>
          </Suspense>
        </PageBoundary>
      </Box>
    </Box>
  );
}

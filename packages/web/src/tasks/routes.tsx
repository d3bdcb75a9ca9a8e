import { lazy, Suspense } from 'react';
import { Box, CircularProgress } from '@mui/material';

const TasksPage = lazy(() => import('./TasksPage.tsx'));

/** The Tasks page, loaded on first visit (kept out of the first download). */
export const tasksElement = (
  <Suspense fallback={<Box sx={{ flex: 1, display: 'flex', alignItems: 'center', justifyContent: 'center' }}><CircularProgress /></Box>}>
    <TasksPage />
  </Suspense>
);

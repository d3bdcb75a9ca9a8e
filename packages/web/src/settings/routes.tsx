import { lazy, Suspense, type ReactNode } from 'react';
import { Box, CircularProgress } from '@mui/material';

const SettingsPage = lazy(() => import('./SettingsPage.tsx'));
const MySharesPage = lazy(() => import('../share/MySharesPage.tsx'));

const Fallback = () => <Box sx={{ flex: 1, display: 'flex', alignItems: 'center', justifyContent: 'center' }}><CircularProgress /></Box>;
const wrap = (node: ReactNode) => <Suspense fallback={<Fallback />}>{node}</Suspense>;

/** Lazily loaded pages of the signed-in area (kept out of the first download). */
export const settingsElement = wrap(<SettingsPage />);
export const mySharesElement = wrap(<MySharesPage />);

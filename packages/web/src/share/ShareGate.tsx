import { lazy, Suspense, type ReactNode } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { Box, CircularProgress } from '@mui/material';
import { parseUri } from '../util/uri.ts';

const SharePage = lazy(() => import('./SharePage.tsx'));

/** Short share links land on `/home?path=cloudreve://…@share` (server `/s/:id` redirect); visitors need no session there. */
export function ShareGate({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  const [params] = useSearchParams();
  if (pathname !== '/home' || parseUri(params.get('path') ?? '')?.fs !== 'share') return children;
  return (
    <Suspense fallback={<Box sx={{ height: '100dvh', display: 'flex', alignItems: 'center', justifyContent: 'center' }}><CircularProgress /></Box>}>
      <SharePage />
    </Suspense>
  );
}

import { lazy, Suspense } from 'react';
import { Navigate } from 'react-router';
import { LinearProgress } from '@mui/material';
import type { User } from '@cloudreve-ts/protocol';
import { useSession } from '../auth/session.ts';
import { Boolset } from '../util/boolset.ts';

/**
 * The only admin code in the main bundle: who is an admin, and the /admin/* route element that
 * loads the admin chunk for them (everyone else is sent to /home and never downloads it).
 */

/** Group permission bit 0 (contract 60 §4): the user may use /admin. */
export const isAdmin = (user: User | null | undefined): boolean => Boolean(user && !user.anonymous && new Boolset(user.group?.permission).has(0));

const AdminApp = lazy(() => import('./AdminApp.tsx'));

export function AdminRoute() {
  const session = useSession();
  if (!isAdmin(session?.user)) return <Navigate to="/home" replace />;
  return (
    <Suspense fallback={<LinearProgress />}>
      <AdminApp />
    </Suspense>
  );
}

import { useSyncExternalStore } from 'react';
import { api, type StoredSession } from '../api/client.ts';

/** The signed-in session, re-rendering on sign-in, refresh and sign-out (in any tab). */
export function useSession(): StoredSession | null {
  return useSyncExternalStore(api.session.subscribe, () => api.session.get());
}

/** Where to go after signing in: a same-site path from `?redirect=`, else the file browser. */
export function safeRedirect(raw: string | null): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || raw.startsWith('/session')) return '/home';
  return raw;
}

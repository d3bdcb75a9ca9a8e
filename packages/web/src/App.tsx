import { useEffect, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { api } from './api/client.ts';
import { useSession } from './auth/session.ts';
import { I18nProvider, useI18n } from './i18n/index.tsx';
import { AppThemeProvider } from './theme.tsx';
import { NotifierProvider, useNotify } from './components/Notifier.tsx';
import { SiteProvider } from './site.tsx';
import { AppShell } from './components/AppShell.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { SignUp } from './pages/SignUp.tsx';
import { NotFound } from './pages/NotFound.tsx';
import { Explorer } from './explorer/Explorer.tsx';
import { UploadProvider } from './upload/UploadProvider.tsx';
import { AdminRoute } from './admin/access.tsx';
import { tasksElement } from './tasks/routes.tsx';
import { ShareGate } from './share/ShareGate.tsx';
import { mySharesElement, settingsElement } from './settings/routes.tsx';

/** Pages behind sign-in: without a session, go to /session and come back afterwards. */
function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    const back = location.pathname + location.search;
    return <Navigate to={`/session?redirect=${encodeURIComponent(back)}`} replace />;
  }
  return children;
}

/** Tells the user why they landed on the sign-in page when the server ended the session. */
function SessionEndNotice() {
  const notify = useNotify();
  const { t } = useI18n();
  useEffect(
    () =>
      api.onSessionEnd((reason) => {
        if (reason === 'expired') notify(t('auth.sessionExpired'), 'warning');
      }),
    [notify, t],
  );
  return null;
}

export function App() {
  return (
    <I18nProvider>
      <AppThemeProvider>
        <NotifierProvider>
          <SiteProvider>
            <BrowserRouter>
              <SessionEndNotice />
              <Routes>
                <Route path="/" element={<Navigate to="/home" replace />} />
                <Route path="/session" element={<SignIn />} />
                <Route path="/session/signup" element={<SignUp />} />
                <Route
                  element={
                    <ShareGate>
                      <RequireAuth>
                        <UploadProvider>
                          <AppShell />
                        </UploadProvider>
                      </RequireAuth>
                    </ShareGate>
                  }
                >
                  <Route path="/home" element={<Explorer />} />
                  <Route path="/admin/*" element={<AdminRoute />} />
                  <Route path="/tasks" element={tasksElement} />
                  <Route path="/shares" element={mySharesElement} />
                  <Route path="/settings" element={settingsElement} />
                </Route>
                <Route path="*" element={<NotFound />} />
              </Routes>
            </BrowserRouter>
          </SiteProvider>
        </NotifierProvider>
      </AppThemeProvider>
    </I18nProvider>
  );
}

import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type MouseEvent } from 'react';
import { Link as RouterLink, useNavigate, useSearchParams } from 'react-router';
import {
  Alert, Avatar, Backdrop, Box, Breadcrumbs, Button, CircularProgress, Link,
  TextField, Toolbar, Tooltip, Typography, useMediaQuery, useTheme,
} from '@mui/material';
import DownloadOutlinedIcon from '@mui/icons-material/DownloadOutlined';
import LockOutlinedIcon from '@mui/icons-material/LockOutlined';
import NavigateNextIcon from '@mui/icons-material/NavigateNext';
import SaveAltOutlinedIcon from '@mui/icons-material/SaveAltOutlined';
import VisibilityOutlinedIcon from '@mui/icons-material/VisibilityOutlined';
import LinkOffOutlinedIcon from '@mui/icons-material/LinkOffOutlined';
import { Code, FileKind, type FileResponse } from '@cloudreve-ts/protocol';
import { ApiError } from '../api/client.ts';
import { files } from '../api/endpoints.ts';
import { describeError, isCode } from '../api/errors.ts';
import { shares, type Share } from '../api/share.ts';
import { useSession } from '../auth/session.ts';
import { LanguageMenu } from '../components/LanguageMenu.tsx';
import { Logo } from '../components/Logo.tsx';
import { useNotify } from '../components/Notifier.tsx';
import { FileList } from '../explorer/FileList.tsx';
import { FolderPickDialog } from '../explorer/MoveDialog.tsx';
import { useFolder, type Sort, type SortField } from '../explorer/useFolder.ts';
import { useSelection } from '../explorer/useSelection.ts';
import { useI18n } from '../i18n/index.tsx';
import { formatDate, formatSize } from '../util/format.ts';
import { useViewerTable, viewerFor } from '../preview/viewers.ts';
import { buildUri, parseUri } from '../util/uri.ts';

/** The file browser's previewer (images, video, audio, PDF, text, Markdown), read-only here. */
const Preview = lazy(() => import('../preview/Preview.tsx'));

/** `<id>[:<password>]@share` → its parts. */
function shareAuthority(authority: string): { id: string; password?: string } {
  const user = authority.slice(0, authority.lastIndexOf('@'));
  const colon = user.indexOf(':');
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return colon < 0 ? { id: dec(user) } : { id: dec(user.slice(0, colon)), password: dec(user.slice(colon + 1)) };
}

const shareRoot = (id: string, password?: string) =>
  `cloudreve://${encodeURIComponent(id)}${password ? `:${encodeURIComponent(password)}` : ''}@share`;

function startDownload(url: string) {
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function Header() {
  const { t } = useI18n();
  const session = useSession();
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up('sm'));
  const back = window.location.pathname + window.location.search;
  return (
    <Toolbar component="header" sx={{ gap: 1, borderBottom: 1, borderColor: 'divider', bgcolor: 'background.paper' }}>
      <Box component={RouterLink} to={session ? '/home' : '/session'} sx={{ color: 'inherit', textDecoration: 'none' }} aria-label={t('app.name')}>
        <Logo size={30} />
      </Box>
      <Box sx={{ flex: 1 }} />
      <LanguageMenu compact={!wide} />
      {session ? (
        <Button component={RouterLink} to="/home" variant="outlined" size="small">{t('nav.myFiles')}</Button>
      ) : (
        <Button component={RouterLink} to={`/session?redirect=${encodeURIComponent(back)}`} variant="contained" size="small" data-testid="share-sign-in">{t('auth.signIn.submit')}</Button>
      )}
    </Toolbar>
  );
}

function Centered({ children }: { children: React.ReactNode }) {
  return <Box component="main" sx={{ flex: 1, display: 'flex', alignItems: 'center', justifyContent: 'center', p: 2 }}>{children}</Box>;
}

function PasswordPrompt({ share, initialError, onUnlock }: { share?: Share; initialError?: string; onUnlock(password: string): Promise<string | undefined> }) {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const [error, setError] = useState(initialError);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password) return setError(t('share.passwordRequired'));
    setBusy(true);
    const problem = await onUnlock(password);
    setBusy(false);
    setError(problem);
  };
  return (
    <Centered>
      <Box component="form" onSubmit={submit} noValidate sx={{ width: '100%', maxWidth: 380, p: { xs: 2.5, sm: 4 }, borderRadius: 4, border: 1, borderColor: 'divider', bgcolor: 'background.paper', textAlign: 'center' }} data-testid="share-locked">
        <Avatar sx={{ mx: 'auto', mb: 1.5, bgcolor: 'primary.main', width: 52, height: 52 }}><LockOutlinedIcon /></Avatar>
        <Typography variant="h6" component="h1">{t('share.lockedTitle')}</Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2.5 }}>
          {share?.owner?.nickname ? t('share.lockedBy', { name: share.owner.nickname }) : t('share.lockedHint')}
        </Typography>
        <TextField
          autoFocus
          label={t('share.password')}
          type="password"
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
            setError(undefined);
          }}
          error={Boolean(error)}
          helperText={error ?? ' '}
          slotProps={{ htmlInput: { 'data-testid': 'share-password-input', autoComplete: 'off' } }}
        />
        <Button type="submit" variant="contained" fullWidth size="large" disabled={busy} sx={{ mt: 1 }} data-testid="share-unlock">{t('share.unlock')}</Button>
      </Box>
    </Centered>
  );
}

function ShareBrowser({ share, uri, root }: { share: Share; uri: string; root: string }) {
  const { t, tp, language } = useI18n();
  const notify = useNotify();
  const navigate = useNavigate();
  const session = useSession();
  const [sort, setSort] = useState<Sort>({ by: 'name', direction: 'asc' });
  const folder = useFolder(uri, sort);
  const sel = useSelection(folder.items);
  const [preview, setPreview] = useState<FileResponse | null>(null);
  const table = useViewerTable();
  const canPreview = (f: FileResponse | undefined) => Boolean(f && f.type === FileKind.File && viewerFor(table, f));
  const [saving, setSaving] = useState<FileResponse[] | null>(null);
  const parsed = parseUri(uri);
  const rootParsed = parseUri(root)!;
  const segments = parsed?.segments ?? [];
  const single = share.source_type === FileKind.File;
  const isOwner = Boolean(session && share.owner?.id === session.user.id);
  const { clear } = sel;
  useEffect(() => clear(), [uri, clear]);

  const go = useCallback((target: string) => navigate(`/home?path=${encodeURIComponent(target)}`), [navigate]);

  const download = async (items: FileResponse[]) => {
    const targets = items.filter((f) => f.type === FileKind.File && f.path);
    if (!targets.length) return;
    try {
      const { urls } = await files.urls({ uris: targets.map((f) => f.path!), download: true });
      urls.forEach((u) => u.url && startDownload(u.url));
      notify(tp('share.downloadStarted', targets.length, { name: targets[0]!.name }), 'info');
    } catch (err) {
      notify(describeError(err, t, language), 'error');
    }
  };

  const open = (file: FileResponse | undefined) => {
    if (!file?.path) return;
    if (file.type === FileKind.Folder) go(file.path);
    else if (canPreview(file)) setPreview(file);
    else void download([file]);
  };

  // What "save" copies: the selection, else the whole share (for a file share, the file itself).
  // Keyboard, as in the file browser: ↑/↓ (+ Shift) move, Enter opens, Backspace / Alt+↑ go up,
  // Escape clears — not while a dialog is open or a control has the focus.
  const keys = useRef({ blocked: false, focused: undefined as FileResponse | undefined, parent: undefined as string | undefined, open, go, move: sel.moveFocus, clear });
  keys.current = {
    blocked: Boolean(preview || saving),
    focused: sel.focus !== null ? folder.items[sel.focus] : sel.selectedItems.length === 1 ? sel.selectedItems[0] : undefined,
    parent: segments.length ? buildUri(rootParsed.authority, segments.slice(0, -1)) : undefined,
    open, go, move: sel.moveFocus, clear,
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const k = keys.current;
      if (k.blocked || (e.target instanceof HTMLElement && e.target.closest('input, textarea, button, a, [role="dialog"], [role="menu"]'))) return;
      if ((e.key === 'Backspace' && !e.ctrlKey && !e.metaKey && !e.altKey) || (e.altKey && e.key === 'ArrowUp')) {
        if (k.parent) {
          e.preventDefault();
          k.go(k.parent);
        }
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        k.move(e.key === 'ArrowDown' ? 1 : -1, e.shiftKey);
      } else if (e.key === 'Enter' && k.focused) {
        e.preventDefault();
        k.open(k.focused);
      } else if (e.key === 'Escape') k.clear();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const saveSources = (): FileResponse[] => {
    if (sel.selectedItems.length) return sel.selectedItems;
    if (single) return folder.items.slice(0, 1);
    if (!segments.length) return [{ ...(folder.parent ?? ({} as FileResponse)), name: share.name ?? '', path: root }];
    return folder.parent ? [{ ...folder.parent, path: uri }] : [];
  };

  const selected = sel.selectedItems;
  const count = folder.nextToken ? t('files.countMore', { count: folder.items.length }) : tp('files.count', folder.items.length);

  return (
    <Box component="main" sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', width: '100%', maxWidth: 1100, mx: 'auto', px: { xs: 0, md: 3 }, py: { xs: 0, md: 3 } }}>
      <Box sx={{ display: 'flex', alignItems: 'center', flexWrap: 'wrap', gap: 1.5, px: { xs: 2, md: 0 }, py: { xs: 2, md: 0 }, pb: 2 }}>
        <Avatar src={share.owner?.avatar ? `/api/v4/user/avatar/${share.owner.id}` : undefined} sx={{ bgcolor: 'primary.main' }}>
          {(share.owner?.nickname || '?').slice(0, 1).toUpperCase()}
        </Avatar>
        <Box sx={{ flex: 1, minWidth: 180 }}>
          <Typography variant="h6" component="h1" noWrap title={share.name} data-testid="share-name">{share.name}</Typography>
          <Typography variant="body2" color="text.secondary" noWrap>
            {[
              share.owner?.nickname && t('share.sharedBy', { name: share.owner.nickname }),
              formatDate(share.created_at, language),
              t('share.views', { count: share.visited }),
              share.expires && t('share.expiresOn', { date: formatDate(share.expires, language) }),
              share.remain_downloads !== undefined && t('share.downloadsLeft', { count: share.remain_downloads }),
            ].filter(Boolean).join(' · ')}
          </Typography>
        </Box>
        <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap' }}>
          {selected.some((f) => f.type === FileKind.File) || single ? (
            <Button variant="contained" startIcon={<DownloadOutlinedIcon />} onClick={() => void download(selected.length ? selected : folder.items)} data-testid="share-download">
              {t('files.download')}
            </Button>
          ) : null}
          {session && !isOwner ? (
            <Button variant="outlined" startIcon={<SaveAltOutlinedIcon />} onClick={() => setSaving(saveSources())} data-testid="share-save">{t('share.save')}</Button>
          ) : !session ? (
            <Tooltip title={t('share.signInToSave')} describeChild>
              <Button variant="outlined" startIcon={<SaveAltOutlinedIcon />} component={RouterLink} to={`/session?redirect=${encodeURIComponent(window.location.pathname + window.location.search)}`}>{t('share.save')}</Button>
            </Tooltip>
          ) : null}
        </Box>
      </Box>

      <Box sx={{ flex: 1, minHeight: 360, display: 'flex', flexDirection: 'column', bgcolor: 'background.paper', borderRadius: { xs: 0, md: 3 }, border: { xs: 0, md: 1 }, borderTop: { xs: 1 }, borderColor: { xs: 'divider', md: 'divider' }, overflow: 'hidden' }}>
        <Box sx={{ px: 2, pt: 1.5, pb: 0.5, minWidth: 0 }}>
          <Breadcrumbs separator={<NavigateNextIcon fontSize="small" />} maxItems={4} sx={{ '& ol': { flexWrap: 'nowrap' }, '& li': { minWidth: 0 } }} data-testid="share-breadcrumbs">
            {[share.name ?? '', ...segments].map((label, i, all) =>
              i === all.length - 1 ? (
                <Typography key={i} noWrap sx={{ fontWeight: 600 }}>{label}</Typography>
              ) : (
                <Link key={i} component={RouterLink} to={`/home?path=${encodeURIComponent(buildUri(rootParsed.authority, segments.slice(0, i)))}`} underline="hover" color="text.secondary" noWrap sx={{ display: 'block' }}>
                  {label}
                </Link>
              ),
            )}
          </Breadcrumbs>
        </Box>
        {folder.error ? (
          <Box sx={{ p: 2 }}>
            <Alert severity="error" action={<Button color="inherit" size="small" onClick={folder.reload}>{t('common.retry')}</Button>} data-testid="list-error">
              {describeError(folder.error, t, language)}
            </Alert>
          </Box>
        ) : (
          <FileList
            mode="files"
            items={folder.items}
            selected={sel.ids}
            focus={sel.focus}
            sort={sort}
            sortable={folder.props?.order_by_options ?? []}
            hasMore={Boolean(folder.nextToken)}
            loading={folder.loading}
            empty={folder.ready ? <Typography color="text.secondary" sx={{ p: 4, textAlign: 'center' }}>{t('files.emptyFolder')}</Typography> : null}
            onSort={(by: SortField) => setSort((s) => ({ by, direction: s.by === by && s.direction === 'asc' ? 'desc' : 'asc' }))}
            onNeedMore={folder.loadMore}
            onRowClick={(i: number, e: MouseEvent) => sel.click(i, e)}
            onRowOpen={(i: number) => open(folder.items[i])}
            onRowContextMenu={(i: number) => sel.ensureSelected(i)}
            onBackgroundClick={sel.clear}
            onBackgroundContextMenu={() => undefined}
          />
        )}
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 2.5, py: 1, borderTop: 1, borderColor: 'divider', color: 'text.secondary' }}>
          <Typography variant="caption" data-testid="item-count">{folder.ready ? count : t('common.loading')}</Typography>
          <Box sx={{ flex: 1 }} />
          {selected.length === 1 && canPreview(selected[0]) && (
            <Button size="small" startIcon={<VisibilityOutlinedIcon />} onClick={() => setPreview(selected[0]!)} data-testid="share-preview-button">{t('share.preview')}</Button>
          )}
          {selected.length === 1 && selected[0]!.type === FileKind.File && (
            <Typography variant="caption">{formatSize(selected[0]!.size)}</Typography>
          )}
        </Box>
      </Box>

      {preview && (
        <Suspense fallback={<Backdrop open sx={{ zIndex: (th) => th.zIndex.modal }}><CircularProgress color="inherit" aria-label={t('common.loading')} /></Backdrop>}>
          {/* The viewers fetch through the share URI (POST /file/url, /file/thumb, /file/info), which visitors may use. */}
          <Preview
            file={preview}
            items={folder.items}
            table={table}
            canEdit={false}
            onShow={setPreview}
            onSaved={() => undefined}
            onDownload={(f) => void download([f])}
            onClose={() => setPreview(null)}
          />
        </Suspense>
      )}
      <FolderPickDialog
        open={Boolean(saving)}
        title={saving ? tp('share.saveTitle', saving.length, { name: saving[0]?.name ?? '' }) : ''}
        confirmLabel={t('share.saveHere')}
        onClose={() => setSaving(null)}
        onConfirm={async (dst) => {
          if (!saving) return undefined;
          try {
            await shares.saveCopy(saving.map((f) => f.path!).filter(Boolean), dst);
            notify(tp('share.savedTo', saving.length, { name: saving[0]?.name ?? '', folder: parseUri(dst)?.segments.at(-1) ?? t('nav.myFiles') }), 'success');
            setSaving(null);
            return undefined;
          } catch (err) {
            return describeError(err, t, language);
          }
        }}
      />
    </Box>
  );
}

/**
 * The page a share link leads to (`/s/<id>[/<password>]` → `/home?path=cloudreve://<id>[:<pw>]@share`):
 * asks for the password when needed, then lists the shared folder (or file) read-only, with
 * download, the file browser's previews (read-only) and — for signed-in visitors — "save to my files".
 */
export default function SharePage() {
  const { t, language } = useI18n();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const uri = params.get('path') ?? '';
  const parsed = parseUri(uri);
  const { id, password } = shareAuthority(parsed?.authority ?? '');
  const [state, setState] = useState<{ kind: 'loading' } | { kind: 'gone'; message: string } | { kind: 'locked'; share?: Share; error?: string } | { kind: 'open'; share: Share }>({ kind: 'loading' });
  const counted = useRef<string | null>(null);
  const session = useSession();
  const signedIn = Boolean(session);

  useEffect(() => {
    const controller = new AbortController();
    const countViews = counted.current !== id;
    counted.current = id;
    shares.info(id, { password, count_views: countViews || undefined }, controller.signal).then(
      (share) => setState(share.unlocked ? { kind: 'open', share } : { kind: 'locked', share, error: password ? t('share.wrongPassword') : undefined }),
      (err) => {
        if ((err as Error)?.name === 'AbortError') return;
        if (isCode(err, Code.IncorrectPassword)) setState({ kind: 'locked', error: t('share.wrongPassword') });
        else if (err instanceof ApiError && (err.code === 404 || err.code === Code.ShareLinkNotFound)) setState({ kind: 'gone', message: t('share.gone') });
        else setState({ kind: 'gone', message: describeError(err, t, language) });
      },
    );
    return () => controller.abort();
    // The info only depends on the link (id + password) and who is asking.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, password, signedIn]);

  useEffect(() => {
    if (state.kind === 'open' && state.share.name) document.title = state.share.name;
  }, [state]);

  const unlock = async (pw: string): Promise<string | undefined> => {
    try {
      const share = await shares.info(id, { password: pw });
      if (!share.unlocked) return t('share.wrongPassword');
      navigate(`/home?path=${encodeURIComponent(shareRoot(id, pw) + uri.slice(uri.indexOf('@share') + 6))}`, { replace: true });
      return undefined;
    } catch (err) {
      return describeError(err, t, language);
    }
  };

  const root = useMemo(() => shareRoot(id, password), [id, password]);
  return (
    <Box sx={{ minHeight: '100dvh', height: '100dvh', display: 'flex', flexDirection: 'column', bgcolor: 'background.default' }} data-testid="share-page">
      <Header />
      {!parsed || !id ? (
        <Centered><Alert severity="error">{t('share.gone')}</Alert></Centered>
      ) : state.kind === 'loading' ? (
        <Centered><CircularProgress aria-label={t('common.loading')} /></Centered>
      ) : state.kind === 'gone' ? (
        <Centered>
          <Box sx={{ textAlign: 'center', maxWidth: 420 }} data-testid="share-gone">
            <LinkOffOutlinedIcon sx={{ fontSize: 64, color: 'text.disabled' }} />
            <Typography variant="h6" component="h1" sx={{ mt: 1 }}>{state.message}</Typography>
            <Typography color="text.secondary">{t('share.goneHint')}</Typography>
          </Box>
        </Centered>
      ) : state.kind === 'locked' ? (
        <PasswordPrompt key={password ?? ''} share={state.share} initialError={state.error} onUnlock={unlock} />
      ) : (
        <ShareBrowser share={state.share} uri={uri} root={root} />
      )}
    </Box>
  );
}


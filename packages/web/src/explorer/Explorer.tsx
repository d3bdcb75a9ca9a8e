import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent } from 'react';
import { Link as RouterLink, useNavigate, useSearchParams } from 'react-router';
import {
  Alert, Box, Breadcrumbs, Button, Divider, IconButton, Link, ListItemIcon, ListItemText, Menu, MenuItem,
  Tooltip, Typography, alpha, useMediaQuery, useTheme,
} from '@mui/material';
import CreateNewFolderOutlinedIcon from '@mui/icons-material/CreateNewFolderOutlined';
import FileUploadOutlinedIcon from '@mui/icons-material/FileUploadOutlined';
import DriveFolderUploadOutlinedIcon from '@mui/icons-material/DriveFolderUploadOutlined';
import RefreshIcon from '@mui/icons-material/Refresh';
import DownloadOutlinedIcon from '@mui/icons-material/DownloadOutlined';
import DriveFileRenameOutlineIcon from '@mui/icons-material/DriveFileRenameOutline';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlineOutlined';
import DeleteForeverOutlinedIcon from '@mui/icons-material/DeleteForeverOutlined';
import RestoreFromTrashOutlinedIcon from '@mui/icons-material/RestoreFromTrashOutlined';
import OpenInNewIcon from '@mui/icons-material/OpenInNew';
import CloseIcon from '@mui/icons-material/Close';
import SelectAllIcon from '@mui/icons-material/SelectAll';
import NavigateNextIcon from '@mui/icons-material/NavigateNext';
import CloudUploadOutlinedIcon from '@mui/icons-material/CloudUploadOutlined';
import FolderOpenOutlinedIcon from '@mui/icons-material/FolderOpenOutlined';
import AutoDeleteOutlinedIcon from '@mui/icons-material/AutoDeleteOutlined';
import { Code, FileKind, type FileResponse } from '@cloudreve-ts/protocol';
import { describeError, isCode } from '../api/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import { Boolset, Capability } from '../util/boolset.ts';
import { buildUri, MY_ROOT, parentUri, parseUri } from '../util/uri.ts';
import { useUploadQueue } from '../upload/UploadProvider.tsx';
import { fromDrop, fromInput } from '../upload/pick.ts';
import { FileList, type ListMode } from './FileList.tsx';
import { ConfirmDialog, NameDialog } from './dialogs.tsx';
import { useFileActions } from './useFileActions.ts';
import { useFolder, type Sort, type SortField } from './useFolder.ts';
import { useSelection } from './useSelection.ts';
import { FileGrid } from './FileGrid.tsx';
import { useExplorerExtras } from './useExplorerExtras.tsx';
import { useOrganize } from './useOrganize.tsx';
import { useTaskActions } from '../tasks/useTaskActions.tsx';

type DialogState =
  | { kind: 'newFolder' }
  | { kind: 'rename'; file: FileResponse }
  | { kind: 'trash'; items: FileResponse[] }
  | { kind: 'forever'; items: FileResponse[] }
  | { kind: 'emptyTrash' }
  | null;

interface MenuState { x: number; y: number; onItems: boolean }

const SORT_KEY = 'cr_explorer_sort';
const DEFAULT_SORT: Sort = { by: 'name', direction: 'asc' };

function useStoredSort(): [Sort, (s: Sort) => void] {
  const [sort, setSort] = useState<Sort>(() => {
    try {
      const s = JSON.parse(localStorage.getItem(SORT_KEY) ?? 'null') as Sort | null;
      if (s && ['name', 'size', 'updated_at'].includes(s.by) && ['asc', 'desc'].includes(s.direction)) return s;
    } catch {
      /* fall through to the default */
    }
    return DEFAULT_SORT;
  });
  const save = useCallback((s: Sort) => {
    localStorage.setItem(SORT_KEY, JSON.stringify(s));
    setSort(s);
  }, []);
  return [sort, save];
}

/** Any open dialog or menu of the page (closed ones may stay mounted, hidden). */
const OPEN_OVERLAY = '.MuiDialog-root:not([aria-hidden="true"]), .MuiPopover-root:not([aria-hidden="true"])';

const typingInto = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

/** The file browser for `cloudreve://my/…` and the trash (`cloudreve://trash`), chosen by `?path=`. */
export function Explorer() {
  const { t, tp, language } = useI18n();
  const navigate = useNavigate();
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up('md'));
  const [params] = useSearchParams();
  const uri = params.get('path') || MY_ROOT;
  const parsed = parseUri(uri);
  const mode: ListMode = parsed?.fs === 'trash' ? 'trash' : 'files';
  const [sort, setSort] = useStoredSort();
  const folder = useFolder(uri, sort);
  const sel = useSelection(folder.items);
  const actions = useFileActions(uri, folder);
  const queue = useUploadQueue();
  const caps = useMemo(() => new Boolset(folder.props?.capability), [folder.props?.capability]);
  const organize = useOrganize(uri, folder, caps, mode);
  const taskActions = useTaskActions(uri, mode, caps);
  const extras = useExplorerExtras({ uri, mode, items: folder.items, caps, selected: sel.selectedItems, replaceItem: folder.replaceItem, download: (f) => void actions.download(f) });
  const [dialog, setDialog] = useState<DialogState>(null);
  const [menu, setMenu] = useState<MenuState | null>(null);
  const [uploadMenu, setUploadMenu] = useState<HTMLElement | null>(null);
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const folderName = mode === 'trash' ? t('nav.trash') : parsed?.segments.at(-1) ?? t('nav.myFiles');
  const canUpload = mode === 'files' && !extras.searching && caps.has(Capability.UploadFile);
  const canCreate = mode === 'files' && !extras.searching && caps.has(Capability.CreateFile);
  const selected = sel.selectedItems;
  const single = selected.length === 1 ? selected[0]! : undefined;
  const { clear: clearSelection, ensureSelected, click: clickRow, selectAll, moveFocus, focusOn } = sel;

  // Going up (Backspace, Alt+↑, a breadcrumb, the browser's back) puts the keyboard focus on the
  // folder the user came from once it is listed (not selected), so the keyboard continues there.
  const lastUri = useRef(uri);
  const cameFrom = useRef<{ name: string; staleItems: readonly FileResponse[] } | undefined>(undefined);
  useEffect(() => {
    const before = parseUri(lastUri.current);
    lastUri.current = uri;
    const up = before && parsed && before.authority === parsed.authority && before.segments.length > parsed.segments.length
      && parsed.segments.every((seg, i) => before.segments[i] === seg);
    cameFrom.current = up ? { name: before.segments[parsed.segments.length]!, staleItems: folder.items } : undefined;
    clearSelection();
    // `parsed` follows `uri`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [uri, clearSelection]);
  useEffect(() => {
    const from = cameFrom.current;
    // Wait for the new folder's first page (the previous folder's rows are still shown for one render).
    if (!from || folder.loading || !folder.ready || folder.items === from.staleItems) return;
    const index = folder.items.findIndex((f) => f.type === FileKind.Folder && f.name === from.name);
    cameFrom.current = undefined;
    if (index < 0) return;
    focusOn(index);
    // The breadcrumb that was used is now the current folder's plain title: the list takes the focus.
    const active = document.activeElement;
    if (!active || active === document.body || active.closest('[data-testid="breadcrumbs"]')) {
      document.querySelector<HTMLElement>('[data-testid="file-list-grid"], [data-testid="file-grid"]')?.focus();
    }
  }, [folder.items, folder.loading, folder.ready, focusOn]);

  // A finished upload into this folder shows up without a manual refresh (batched per second).
  const { reload } = folder;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = queue.onFinished((task) => {
      if (task.folderUri !== uri) return;
      clearTimeout(timer);
      timer = setTimeout(reload, 400);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [queue, uri, reload]);

  const openFolder = useCallback((target: string) => {
    // Cleared here too, not only when the new path renders: a quick Back can land before that render.
    clearSelection();
    navigate(`/home?path=${encodeURIComponent(target)}`);
  }, [navigate, clearSelection]);

  const open = useCallback(
    (file: FileResponse | undefined) => {
      if (!file?.path) return;
      if (file.type === FileKind.Folder) {
        if (caps.has(Capability.EnterFolder)) openFolder(file.path);
      } else if (!extras.openPreview(file) && caps.has(Capability.DownloadFile)) void actions.download([file]);
    },
    [caps, openFolder, actions, extras.openPreview],
  );

  const requestDelete = useCallback(
    (items: FileResponse[]) => {
      if (!items.length) return;
      if (mode === 'trash') setDialog({ kind: 'forever', items });
      else if (caps.has(Capability.SoftDelete)) setDialog({ kind: 'trash', items });
    },
    [mode, caps],
  );

  const uploadTarget = useMemo(() => ({ folderUri: uri, folderName, policy: folder.policy }), [uri, folderName, folder.policy]);

  // Keyboard: Enter open, F2 rename, Delete, Ctrl/⌘+A, arrows, Escape — not while typing or in a
  // dialog or menu. One listener reads the latest state through a ref, so a key pressed right after
  // a re-render never meets an outdated handler.
  const keyState = useRef({ blocked: false, selected, single, focusItem: undefined as FileResponse | undefined, renameOk: false, gridColumns: 0, parent: undefined as string | undefined });
  keyState.current = {
    blocked: Boolean(dialog || menu || uploadMenu),
    selected,
    single,
    focusItem: sel.focus !== null ? folder.items[sel.focus] : undefined,
    renameOk: mode === 'files' && caps.has(Capability.RenameFile),
    gridColumns: extras.layout === 'grid' ? extras.columns : 0,
    parent: parsed?.segments.length && !extras.searching ? parentUri(uri) : undefined,
  };
  const keyActions = useRef({ open, openFolder, requestDelete, selectAll, clearSelection, moveFocus, rename: (file: FileResponse) => setDialog({ kind: 'rename', file }) });
  keyActions.current = { open, openFolder, requestDelete, selectAll, clearSelection, moveFocus, rename: (file: FileResponse) => setDialog({ kind: 'rename', file }) };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const state = keyState.current;
      const act = keyActions.current;
      if (state.blocked || typingInto(e.target) || document.querySelector(OPEN_OVERLAY)) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'a') {
        e.preventDefault();
        act.selectAll();
      } else if (e.key === 'Delete' || (e.key === 'Backspace' && e.metaKey)) {
        e.preventDefault();
        act.requestDelete(state.selected);
      } else if ((e.key === 'Backspace' && !mod && !e.altKey) || (e.altKey && e.key === 'ArrowUp')) {
        // Up to the parent folder, like a file manager.
        if (state.parent) {
          e.preventDefault();
          act.openFolder(state.parent);
        }
      } else if (e.key === 'F2') {
        e.preventDefault();
        if (state.single && state.renameOk) act.rename(state.single);
      } else if (e.key === 'Enter' && !(e.target instanceof HTMLElement && e.target.closest('button, a, [role="button"]'))) {
        // Enter on a focused button or link is that control's own action.
        const target = state.focusItem ?? state.single;
        if (target) {
          e.preventDefault();
          act.open(target);
        }
      } else if (e.key === 'Escape') act.clearSelection();
      else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        act.moveFocus((e.key === 'ArrowDown' ? 1 : -1) * (state.gridColumns || 1), e.shiftKey);
      } else if (state.gridColumns && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
        e.preventDefault();
        act.moveFocus(e.key === 'ArrowRight' ? 1 : -1, e.shiftKey);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onSort = useCallback(
    (by: SortField) => setSort({ by, direction: sort.by === by && sort.direction === 'asc' ? 'desc' : 'asc' }),
    [sort, setSort],
  );
  const onRowClick = useCallback((index: number, e: MouseEvent) => clickRow(index, e), [clickRow]);
  const onRowOpen = useCallback((index: number) => open(folder.items[index]), [open, folder.items]);
  const onRowContextMenu = useCallback(
    (index: number, e: MouseEvent) => {
      ensureSelected(index);
      setMenu({ x: e.clientX, y: e.clientY, onItems: true });
    },
    [ensureSelected],
  );
  const onBackgroundContextMenu = useCallback(
    (e: MouseEvent) => {
      clearSelection();
      setMenu({ x: e.clientX, y: e.clientY, onItems: false });
    },
    [clearSelection],
  );

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    dragDepth.current = 0;
    setDragging(false);
    if (!canUpload) return;
    const picked = await fromDrop(e.dataTransfer);
    if (picked.length) queue.add(picked, uploadTarget);
  };
  const dragHandlers = canUpload
    ? {
        onDragEnter: (e: DragEvent) => {
          if (!e.dataTransfer.types.includes('Files')) return;
          e.preventDefault();
          dragDepth.current++;
          setDragging(true);
        },
        onDragOver: (e: DragEvent) => {
          if (e.dataTransfer.types.includes('Files')) e.preventDefault();
        },
        onDragLeave: () => {
          dragDepth.current = Math.max(0, dragDepth.current - 1);
          if (!dragDepth.current) setDragging(false);
        },
        onDrop,
      }
    : {};

  const onRowDragStart = (e: DragEvent) => {
    const id = (e.target as HTMLElement | null)?.closest?.('[data-testid="file-row"], [data-testid="file-card"]')?.getAttribute('data-id');
    const item = folder.items.find((f) => f.id === id);
    if (item) organize.startDrag(e, sel.ids.has(item.id) ? selected : [item]);
  };

  const closeMenu = () => setMenu(null);
  const menuAction = (fn: () => void) => () => {
    closeMenu();
    fn();
  };

  const breadcrumbs = (
    <Breadcrumbs separator={<NavigateNextIcon fontSize="small" />} maxItems={wide ? 6 : 3} sx={{ minWidth: 0, '& ol': { flexWrap: 'nowrap' }, '& li': { minWidth: 0 } }} data-testid="breadcrumbs">
      {mode === 'trash' ? (
        <Typography variant="h6" noWrap sx={{ color: 'text.primary' }}>{t('nav.trash')}</Typography>
      ) : (
        [t('nav.myFiles'), ...(parsed?.segments ?? [])].map((label, i, all) =>
          i === all.length - 1 ? (
            <Typography key={i} variant="h6" noWrap title={label} sx={{ color: 'text.primary' }}>{label}</Typography>
          ) : (
            <Link key={i} component={RouterLink} to={`/home?path=${encodeURIComponent(buildUri(parsed!.authority, parsed!.segments.slice(0, i)))}`} data-drop-uri={buildUri(parsed!.authority, parsed!.segments.slice(0, i))} underline="hover" color="text.secondary" variant="h6" noWrap title={label} sx={{ display: 'block' }}>
              {label}
            </Link>
          ),
        )
      )}
    </Breadcrumbs>
  );

  const selectionBar = (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5, flexWrap: 'wrap' }} data-testid="selection-bar">
      <Tooltip title={t('files.clearSelection')}>
        <IconButton size="small" onClick={clearSelection} aria-label={t('files.clearSelection')}><CloseIcon fontSize="small" /></IconButton>
      </Tooltip>
      <Typography variant="body2" sx={{ fontWeight: 600, mr: 1 }} data-testid="selection-count">{tp('files.selected', selected.length)}</Typography>
      {mode === 'files' ? (
        <>
          {caps.has(Capability.DownloadFile) && selected.some((f) => f.type === FileKind.File) && (
            <Button size="small" startIcon={<DownloadOutlinedIcon />} onClick={() => void actions.download(selected)}>{t('files.download')}</Button>
          )}
          {single && caps.has(Capability.RenameFile) && (
            <Button size="small" startIcon={<DriveFileRenameOutlineIcon />} onClick={() => setDialog({ kind: 'rename', file: single })} data-testid="action-rename">{t('files.rename')}</Button>
          )}
          {organize.barButtons(selected)}
          {caps.has(Capability.SoftDelete) && (
            <Button size="small" color="error" startIcon={<DeleteOutlineIcon />} onClick={() => requestDelete(selected)} data-testid="action-delete">{t('files.delete')}</Button>
          )}
        </>
      ) : (
        <>
          {caps.has(Capability.Restore) && (
            <Button size="small" startIcon={<RestoreFromTrashOutlinedIcon />} onClick={() => void actions.restore(selected)} data-testid="action-restore">{t('files.restore')}</Button>
          )}
          {caps.has(Capability.DeleteFile) && (
            <Button size="small" color="error" startIcon={<DeleteForeverOutlinedIcon />} onClick={() => requestDelete(selected)} data-testid="action-delete-forever">{t('files.deleteForever')}</Button>
          )}
        </>
      )}
    </Box>
  );

  const folderActions = (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
      {canCreate && wide && (
        <Button variant="outlined" startIcon={<CreateNewFolderOutlinedIcon />} onClick={() => setDialog({ kind: 'newFolder' })} data-testid="action-new-folder">
          {t('files.newFolder')}
        </Button>
      )}
      {canCreate && !wide && (
        <Tooltip title={t('files.newFolder')}>
          <IconButton onClick={() => setDialog({ kind: 'newFolder' })} aria-label={t('files.newFolder')} data-testid="action-new-folder">
            <CreateNewFolderOutlinedIcon />
          </IconButton>
        </Tooltip>
      )}
      {canUpload && (
        <Button variant="contained" startIcon={<FileUploadOutlinedIcon />} onClick={(e) => setUploadMenu(e.currentTarget)} data-testid="action-upload">
          {t('files.upload')}
        </Button>
      )}
      {mode === 'trash' && folder.items.length > 0 && (
        <Button variant="outlined" color="error" startIcon={<AutoDeleteOutlinedIcon />} onClick={() => setDialog({ kind: 'emptyTrash' })} data-testid="action-empty-trash">
          {t('files.emptyTrashAction')}
        </Button>
      )}
      <Tooltip title={t('common.refresh')}>
        <IconButton onClick={folder.reload} aria-label={t('common.refresh')} data-testid="action-refresh"><RefreshIcon /></IconButton>
      </Tooltip>
    </Box>
  );

  const empty = (
    <Box sx={{ height: '100%', minHeight: 280, display: 'flex', flexDirection: 'column', alignItems: 'center', justifyContent: 'center', gap: 1, color: 'text.secondary', textAlign: 'center', px: 3 }} data-testid="empty-state">
      {mode === 'trash' ? <DeleteOutlineIcon sx={{ fontSize: 64, opacity: 0.35 }} /> : <FolderOpenOutlinedIcon sx={{ fontSize: 64, opacity: 0.35 }} />}
      <Typography variant="subtitle1" color="text.primary" sx={{ fontWeight: 600 }}>
        {mode === 'trash' ? t('files.emptyTrash') : t('files.emptyFolder')}
      </Typography>
      <Typography variant="body2">{mode === 'trash' ? t('files.emptyTrashHint') : canUpload ? t('files.emptyFolderHint') : ''}</Typography>
    </Box>
  );

  const count = folder.nextToken ? t('files.countMore', { count: folder.items.length }) : tp('files.count', folder.items.length);
  const notFound = isCode(folder.error, Code.ParentNotExist);

  return (
    <Box
      sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', position: 'relative', '& [data-drop-active="true"]': { outline: '2px solid', outlineColor: 'primary.main', outlineOffset: -2, bgcolor: 'action.selected' } }}
      {...dragHandlers}
      {...organize.dropHandlers}
      onDragStart={onRowDragStart}
    >
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, px: { xs: 2, md: 3 }, pt: 2, pb: 1.5, minHeight: 68 }}>
        <Box sx={{ flex: 1, minWidth: 0 }}>{selected.length ? selectionBar : extras.title ?? breadcrumbs}</Box>
        {!selected.length && folderActions}
        {extras.toolbar}
      </Box>
      {extras.phoneRow}

      {folder.error && !notFound ? (
        <Box sx={{ px: 3 }}>
          <Alert severity="error" action={<Button color="inherit" size="small" onClick={folder.reload}>{t('common.retry')}</Button>} data-testid="list-error">
            {t('files.loadFailed')}: {describeError(folder.error, t, language)}
          </Alert>
        </Box>
      ) : null}
      {notFound ? (
        <Box sx={{ px: 3 }}>
          <Alert severity="warning" action={<Button color="inherit" size="small" component={RouterLink} to="/home">{t('nav.myFiles')}</Button>} data-testid="list-error">
            {describeError(folder.error, t, language)}
          </Alert>
        </Box>
      ) : (
        <Box sx={{ flex: 1, minHeight: 0, display: 'flex', mx: { xs: 0, md: 2 }, mb: { xs: 0, md: 2 }, bgcolor: 'background.paper', borderRadius: { xs: 0, md: 3 }, border: { xs: 0, md: 1 }, borderColor: { md: 'divider' }, overflow: 'hidden' }}>
        <Box sx={{ flex: 1, minWidth: 0, minHeight: 0, display: 'flex', flexDirection: 'column' }}>
          {extras.layout === 'grid' ? (
            <FileGrid
              items={folder.items}
              selected={sel.ids}
              focus={sel.focus}
              hasMore={Boolean(folder.nextToken) && !folder.error}
              loading={folder.loading}
              empty={folder.ready ? empty : null}
              onNeedMore={folder.loadMore}
              onRowClick={onRowClick}
              onRowOpen={onRowOpen}
              onRowContextMenu={onRowContextMenu}
              onBackgroundClick={clearSelection}
              onBackgroundContextMenu={onBackgroundContextMenu}
              onColumns={extras.setColumns}
              draggableCards={organize.canMove}
            />
          ) : (
          <FileList
            showLocation={extras.searching}
            mode={mode}
            items={folder.items}
            selected={sel.ids}
            focus={sel.focus}
            sort={sort}
            sortable={folder.props?.order_by_options ?? []}
            hasMore={Boolean(folder.nextToken) && !folder.error}
            loading={folder.loading}
            draggableRows={organize.canMove}
            empty={folder.ready ? empty : null}
            onSort={onSort}
            onNeedMore={folder.loadMore}
            onRowClick={onRowClick}
            onRowOpen={onRowOpen}
            onRowContextMenu={onRowContextMenu}
            onBackgroundClick={clearSelection}
            onBackgroundContextMenu={onBackgroundContextMenu}
          />
          )}
          <Divider />
          <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, px: 2.5, py: 1, color: 'text.secondary' }}>
            <Typography variant="caption" data-testid="item-count">{folder.ready ? count : t('common.loading')}</Typography>
            <Box sx={{ flex: 1 }} />
            {wide && <Typography variant="caption">{t('files.keyboardHint')}</Typography>}
          </Box>
        </Box>
        {extras.infoPanel}
        </Box>
      )}

      {dragging && (
        <Box
          data-testid="drop-overlay"
          sx={{ position: 'absolute', inset: 12, zIndex: 5, borderRadius: 3, border: '2px dashed', borderColor: 'primary.main', bgcolor: (th) => alpha(th.palette.background.paper, 0.94), display: 'flex', flexDirection: 'column', alignItems: 'center', justifyContent: 'center', gap: 1, pointerEvents: 'none' }}
        >
          <CloudUploadOutlinedIcon color="primary" sx={{ fontSize: 56 }} />
          <Typography variant="h6" color="primary">{t('files.dropHere', { folder: folderName })}</Typography>
        </Box>
      )}

      <input ref={fileInput} type="file" multiple hidden data-testid="upload-input" onChange={(e) => { queue.add(fromInput(e.target.files), uploadTarget); e.target.value = ''; }} />
      <input ref={folderInput} type="file" multiple hidden {...{ webkitdirectory: '' }} onChange={(e) => { queue.add(fromInput(e.target.files), uploadTarget); e.target.value = ''; }} />

      <Menu anchorEl={uploadMenu} open={Boolean(uploadMenu)} onClose={() => setUploadMenu(null)}>
        <MenuItem onClick={() => { setUploadMenu(null); fileInput.current?.click(); }}>
          <ListItemIcon><FileUploadOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{t('files.uploadFiles')}</ListItemText>
        </MenuItem>
        <MenuItem onClick={() => { setUploadMenu(null); folderInput.current?.click(); }}>
          <ListItemIcon><DriveFolderUploadOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{t('files.uploadFolder')}</ListItemText>
        </MenuItem>
        {taskActions.folderMenuItems(() => setUploadMenu(null))}
      </Menu>

      <Menu
        open={Boolean(menu)}
        onClose={closeMenu}
        anchorReference="anchorPosition"
        anchorPosition={menu ? { top: menu.y, left: menu.x } : undefined}
        slotProps={{ list: { dense: true, sx: { minWidth: 200 } } }}
        data-testid="context-menu"
        onContextMenu={(e) => { e.preventDefault(); closeMenu(); }}
      >
        {menu?.onItems && mode === 'files' && [
          single && (single.type === FileKind.Folder ? caps.has(Capability.EnterFolder) : caps.has(Capability.DownloadFile)) && (
            <MenuItem key="open" onClick={menuAction(() => open(single))} data-testid="menu-open">
              <ListItemIcon>{single.type === FileKind.Folder ? <FolderOpenOutlinedIcon fontSize="small" /> : <OpenInNewIcon fontSize="small" />}</ListItemIcon>
              <ListItemText>{single.type === FileKind.Folder || extras.canPreview(single) ? t('files.open') : t('files.download')}</ListItemText>
            </MenuItem>
          ),
          !single && caps.has(Capability.DownloadFile) && selected.some((f) => f.type === FileKind.File) && (
            <MenuItem key="download" onClick={menuAction(() => void actions.download(selected))}>
              <ListItemIcon><DownloadOutlinedIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.download')}</ListItemText>
            </MenuItem>
          ),
          single && caps.has(Capability.RenameFile) && (
            <MenuItem key="rename" onClick={menuAction(() => setDialog({ kind: 'rename', file: single }))} data-testid="menu-rename">
              <ListItemIcon><DriveFileRenameOutlineIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.rename')}</ListItemText>
              <Typography variant="caption" color="text.secondary">F2</Typography>
            </MenuItem>
          ),
          ...organize.menuItems(selected, closeMenu),
          ...taskActions.menuItems(selected, closeMenu),
          ...extras.menuItems(closeMenu),
          <Divider key="d1" />,
          caps.has(Capability.SoftDelete) && (
            <MenuItem key="trash" onClick={menuAction(() => requestDelete(selected))} data-testid="menu-delete" sx={{ color: 'error.main' }}>
              <ListItemIcon sx={{ color: 'inherit' }}><DeleteOutlineIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.delete')}</ListItemText>
              <Typography variant="caption" color="text.secondary">Del</Typography>
            </MenuItem>
          ),
        ]}
        {menu?.onItems && mode === 'trash' && [
          caps.has(Capability.Restore) && (
            <MenuItem key="restore" onClick={menuAction(() => void actions.restore(selected))} data-testid="menu-restore">
              <ListItemIcon><RestoreFromTrashOutlinedIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.restore')}</ListItemText>
            </MenuItem>
          ),
          caps.has(Capability.DeleteFile) && (
            <MenuItem key="forever" onClick={menuAction(() => requestDelete(selected))} data-testid="menu-delete-forever" sx={{ color: 'error.main' }}>
              <ListItemIcon sx={{ color: 'inherit' }}><DeleteForeverOutlinedIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.deleteForever')}</ListItemText>
            </MenuItem>
          ),
        ]}
        {menu && !menu.onItems && [
          canCreate && (
            <MenuItem key="new" onClick={menuAction(() => setDialog({ kind: 'newFolder' }))} data-testid="menu-new-folder">
              <ListItemIcon><CreateNewFolderOutlinedIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.newFolder')}</ListItemText>
            </MenuItem>
          ),
          canUpload && (
            <MenuItem key="upload" onClick={menuAction(() => fileInput.current?.click())}>
              <ListItemIcon><FileUploadOutlinedIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.uploadFiles')}</ListItemText>
            </MenuItem>
          ),
          ...taskActions.folderMenuItems(closeMenu),
          folder.items.length > 0 && (
            <MenuItem key="all" onClick={menuAction(selectAll)}>
              <ListItemIcon><SelectAllIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.selectAll')}</ListItemText>
              <Typography variant="caption" color="text.secondary">Ctrl+A</Typography>
            </MenuItem>
          ),
          mode === 'trash' && folder.items.length > 0 && (
            <MenuItem key="empty" onClick={menuAction(() => setDialog({ kind: 'emptyTrash' }))} sx={{ color: 'error.main' }}>
              <ListItemIcon sx={{ color: 'inherit' }}><AutoDeleteOutlinedIcon fontSize="small" /></ListItemIcon>
              <ListItemText>{t('files.emptyTrashAction')}</ListItemText>
            </MenuItem>
          ),
          <MenuItem key="refresh" onClick={menuAction(folder.reload)}>
            <ListItemIcon><RefreshIcon fontSize="small" /></ListItemIcon>
            <ListItemText>{t('common.refresh')}</ListItemText>
          </MenuItem>,
        ]}
      </Menu>

      {organize.dialogs}
      {taskActions.elements}
      {extras.elements}
      <NameDialog
        open={dialog?.kind === 'newFolder'}
        title={t('files.newFolder')}
        label={t('files.folderName')}
        initial=""
        submitLabel={t('common.create')}
        onClose={() => setDialog(null)}
        onSubmit={async (name) => {
          const problem = await actions.createFolder(name);
          if (!problem) setDialog(null);
          return problem;
        }}
      />
      <NameDialog
        open={dialog?.kind === 'rename'}
        title={t('files.rename')}
        label={t('files.newName')}
        initial={dialog?.kind === 'rename' ? dialog.file.name : ''}
        submitLabel={t('files.rename')}
        onClose={() => setDialog(null)}
        onSubmit={async (name) => {
          if (dialog?.kind !== 'rename') return undefined;
          const problem = await actions.rename(dialog.file, name);
          if (!problem) setDialog(null);
          return problem;
        }}
      />
      <ConfirmDialog
        open={dialog?.kind === 'trash'}
        title={t('files.trashConfirm.title')}
        message={dialog?.kind === 'trash' ? tp('files.trashConfirm', dialog.items.length, { name: dialog.items[0]?.name ?? '' }) : ''}
        confirmLabel={t('files.delete')}
        danger
        onClose={() => setDialog(null)}
        onConfirm={async () => {
          if (dialog?.kind === 'trash') await actions.moveToTrash(dialog.items);
          clearSelection();
          setDialog(null);
        }}
      />
      <ConfirmDialog
        open={dialog?.kind === 'forever'}
        title={t('files.foreverConfirm.title')}
        message={dialog?.kind === 'forever' ? tp('files.foreverConfirm', dialog.items.length, { name: dialog.items[0]?.name ?? '' }) : ''}
        confirmLabel={t('files.deleteForever')}
        danger
        onClose={() => setDialog(null)}
        onConfirm={async () => {
          if (dialog?.kind === 'forever') await actions.deleteForever(dialog.items);
          clearSelection();
          setDialog(null);
        }}
      />
      <ConfirmDialog
        open={dialog?.kind === 'emptyTrash'}
        title={t('files.emptyTrashAction')}
        message={t('files.emptyTrashConfirm')}
        confirmLabel={t('files.emptyTrashAction')}
        danger
        onClose={() => setDialog(null)}
        onConfirm={async () => {
          await actions.emptyTrash();
          clearSelection();
          setDialog(null);
        }}
      />
    </Box>
  );
}


import { lazy, Suspense, useCallback, useMemo, useRef, useState, type DragEvent, type ReactNode } from 'react';
import { Button, ListItemIcon, ListItemText, MenuItem } from '@mui/material';
import DriveFileMoveOutlinedIcon from '@mui/icons-material/DriveFileMoveOutlined';
import FileCopyOutlinedIcon from '@mui/icons-material/FileCopyOutlined';
import ShareOutlinedIcon from '@mui/icons-material/ShareOutlined';
import { Code, FileKind, type FileResponse } from '@cloudreve-ts/protocol';
import { ApiError } from '../api/client.ts';
import { files } from '../api/endpoints.ts';
import { describeError } from '../api/errors.ts';
import { useNotify } from '../components/Notifier.tsx';
import { storageChanged } from '../events.ts';
import { useI18n } from '../i18n/index.tsx';
import type { Boolset } from '../util/boolset.ts';
import { baseName, parentUri, parseUri } from '../util/uri.ts';
import { FolderPickDialog } from './MoveDialog.tsx';

const ShareDialog = lazy(() => import('../share/ShareDialog.tsx').then((m) => ({ default: m.ShareDialog })));

/** Navigator capability bits (contract 20 §1.5) used here. */
const CAP_LOCK = 15;
const CAP_SHARE = 18;
/** The drag payload type of rows dragged inside the page (files from the desktop carry "Files"). */
const DRAG_TYPE = 'application/x-cloudreve-uris';

interface FolderOps {
  reload(): void;
  removeItems(ids: ReadonlySet<string>): void;
}

type Pick = { kind: 'move' | 'copy'; items: FileResponse[] } | null;

/** URIs of the failed items of a 40081 answer (every other item went through). */
function failedUris(err: unknown): Set<string> | null {
  if (!(err instanceof ApiError) || err.code !== Code.BatchOperationNotFullyCompleted || !err.aggregated) return null;
  return new Set(Object.keys(err.aggregated));
}

/**
 * Move, copy and share for the file browser: the menu entries, the dialogs, and dragging rows onto
 * folders or breadcrumbs (elements carrying `data-drop-uri`). After each call the list shows what
 * the server did: moved items leave it, partial failures keep the failed ones.
 */
export function useOrganize(folderUri: string, folder: FolderOps, caps: Boolset, mode: 'files' | 'trash') {
  const { t, tp, language } = useI18n();
  const notify = useNotify();
  const [pick, setPick] = useState<Pick>(null);
  const [share, setShare] = useState<FileResponse | null>(null);
  const dragged = useRef<FileResponse[]>([]);
  const fs = parseUri(folderUri)?.fs;
  const canMove = mode === 'files' && fs === 'my' && caps.has(CAP_LOCK);
  const canShare = mode === 'files' && fs === 'my' && caps.has(CAP_SHARE);

  const run = useCallback(
    async (items: FileResponse[], dst: string, copy: boolean): Promise<string | undefined> => {
      const uris = items.map((f) => f.path!).filter(Boolean);
      if (!copy && dst === folderUri) return undefined;
      try {
        await files.move(uris, dst, copy);
        if (!copy) folder.removeItems(new Set(items.map((f) => f.id)));
        else if (dst === folderUri) folder.reload();
        else storageChanged();
        const name = items[0]?.name ?? '';
        const where = baseName(dst) || t('nav.myFiles');
        notify(tp(copy ? 'move.copied' : 'move.moved', items.length, { name, folder: where }), 'success');
        return undefined;
      } catch (err) {
        const failed = failedUris(err);
        if (failed && !copy) folder.removeItems(new Set(items.filter((f) => f.path && !failed.has(f.path)).map((f) => f.id)));
        else if (failed) folder.reload();
        return describeError(err, t, language);
      }
    },
    [folderUri, folder, notify, t, tp, language],
  );

  const menuItems = (selected: FileResponse[], close: () => void): ReactNode[] => {
    const single = selected.length === 1 ? selected[0] : undefined;
    return [
      canShare && single && !single.metadata?.['sys:shared_redirect'] && (
        <MenuItem key="share" onClick={() => { close(); setShare(single); }} data-testid="menu-share">
          <ListItemIcon><ShareOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{t('share.action')}</ListItemText>
        </MenuItem>
      ),
      canMove && (
        <MenuItem key="move" onClick={() => { close(); setPick({ kind: 'move', items: selected }); }} data-testid="menu-move">
          <ListItemIcon><DriveFileMoveOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{t('move.moveTo')}</ListItemText>
        </MenuItem>
      ),
      canMove && (
        <MenuItem key="copy" onClick={() => { close(); setPick({ kind: 'copy', items: selected }); }} data-testid="menu-copy">
          <ListItemIcon><FileCopyOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{t('move.copyTo')}</ListItemText>
        </MenuItem>
      ),
    ].filter(Boolean);
  };

  const barButtons = (selected: FileResponse[]): ReactNode[] => {
    const single = selected.length === 1 ? selected[0] : undefined;
    return [
      canShare && single && !single.metadata?.['sys:shared_redirect'] && (
        <Button key="share" size="small" startIcon={<ShareOutlinedIcon />} onClick={() => setShare(single)} data-testid="action-share">{t('share.action')}</Button>
      ),
      canMove && (
        <Button key="move" size="small" startIcon={<DriveFileMoveOutlinedIcon />} onClick={() => setPick({ kind: 'move', items: selected })} data-testid="action-move">{t('move.moveTo')}</Button>
      ),
      canMove && (
        <Button key="copy" size="small" startIcon={<FileCopyOutlinedIcon />} onClick={() => setPick({ kind: 'copy', items: selected })} data-testid="action-copy">{t('move.copyTo')}</Button>
      ),
    ].filter(Boolean);
  };

  // A folder cannot go into itself or below it; a move into the folder it is in does nothing.
  const disabled = useMemo(() => {
    if (!pick) return undefined;
    const s = new Set(pick.items.filter((f) => f.type === FileKind.Folder && f.path).map((f) => f.path!));
    if (pick.kind === 'move') s.add(folderUri);
    return s;
  }, [pick, folderUri]);

  const dialogs = (
    <>
      <FolderPickDialog
        open={Boolean(pick)}
        title={pick ? tp(pick.kind === 'move' ? 'move.moveTitle' : 'move.copyTitle', pick.items.length, { name: pick.items[0]?.name ?? '' }) : ''}
        confirmLabel={pick?.kind === 'copy' ? t('move.copyHere') : t('move.moveHere')}
        initial={folderUri}
        disabled={disabled}
        onClose={() => setPick(null)}
        onConfirm={async (dst) => {
          if (!pick) return undefined;
          const problem = await run(pick.items, dst, pick.kind === 'copy');
          if (!problem) setPick(null);
          return problem;
        }}
      />
      {share && (
        <Suspense fallback={null}>
          <ShareDialog
            open
            target={{ uri: share.path!, name: share.name, folder: share.type === FileKind.Folder }}
            onClose={() => setShare(null)}
          />
        </Suspense>
      )}
    </>
  );

  const dropTarget = (e: DragEvent): HTMLElement | null => {
    const el = (e.target as HTMLElement | null)?.closest?.<HTMLElement>('[data-drop-uri]');
    return el && el.dataset.dropUri ? el : null;
  };
  const clearHighlight = () => document.querySelectorAll('[data-drop-active]').forEach((el) => el.removeAttribute('data-drop-active'));

  /** Spread on an element around the list and breadcrumbs; rows call `startDrag`. */
  const dropHandlers = canMove
    ? {
        onDragOverCapture: (e: DragEvent) => {
          if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
          const el = dropTarget(e);
          clearHighlight();
          if (!el || dragged.current.some((f) => f.path === el.dataset.dropUri)) return;
          e.preventDefault();
          e.dataTransfer.dropEffect = 'move';
          el.setAttribute('data-drop-active', 'true');
        },
        onDropCapture: (e: DragEvent) => {
          if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
          e.preventDefault();
          e.stopPropagation();
          clearHighlight();
          const el = dropTarget(e);
          const items = dragged.current;
          dragged.current = [];
          const dst = el?.dataset.dropUri;
          if (!dst || !items.length || items.some((f) => f.path === dst)) return;
          void run(items, dst, false).then((problem) => problem && notify(problem, 'error'));
        },
        onDragEndCapture: () => {
          clearHighlight();
          dragged.current = [];
        },
      }
    : {};

  /** Starts dragging `items` (the selection, or the row grabbed when it is not selected). */
  const startDrag = (e: DragEvent, items: FileResponse[]) => {
    if (!canMove || !items.length) return;
    dragged.current = items;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(items.map((f) => f.path)));
    e.dataTransfer.setData('text/plain', items.map((f) => f.name).join('\n'));
  };

  return { canMove, canShare, menuItems, barButtons, dialogs, dropHandlers, startDrag, parentOf: parentUri };
}

import { lazy, Suspense, useState, type ReactNode } from 'react';
import { ListItemIcon, ListItemText, MenuItem } from '@mui/material';
import ArchiveOutlinedIcon from '@mui/icons-material/ArchiveOutlined';
import UnarchiveOutlinedIcon from '@mui/icons-material/UnarchiveOutlined';
import CloudDownloadOutlinedIcon from '@mui/icons-material/CloudDownloadOutlined';
import { FileKind, type FileResponse } from '@cloudreve-ts/protocol';
import { useSession } from '../auth/session.ts';
import { Boolset, Capability } from '../util/boolset.ts';
import { MY_ROOT, parentUri, parseUri } from '../util/uri.ts';
import { useTasksMenuText } from './i18n/menu.ts';
import type { TaskRequest } from './TaskDialogs.tsx';

const TaskDialogs = lazy(() => import('./TaskDialogs.tsx'));

/** Group permission bits (contract 10 §group): archive tasks, remote download. */
const PERM_ARCHIVE = 5;
const PERM_REMOTE_DOWNLOAD = 9;
/** Archives the server can extract (contract 50 §1.5). */
const ARCHIVE = /\.(zip|7z|rar|tar|tgz|tbz2?|txz|tar\.(gz|bz2|xz|zst|lz4|br|sz))$/i;

export const isArchive = (name: string) => ARCHIVE.test(name);

/**
 * Task actions of the file browser: "Compress to zip", "Extract here / to…" and "Download with
 * this torrent" for the selection, "Remote download" for the folder. The dialogs load on first use.
 */
export function useTaskActions(folderUri: string, mode: 'files' | 'trash', caps: Boolset) {
  const text = useTasksMenuText();
  const session = useSession();
  const [request, setRequest] = useState<TaskRequest | null>(null);
  const [loaded, setLoaded] = useState(false);
  const perms = new Boolset(session?.user.group?.permission);
  const inMy = mode === 'files' && parseUri(folderUri)?.fs === 'my';
  const canArchive = inMy && perms.has(PERM_ARCHIVE);
  const canDownload = inMy && perms.has(PERM_REMOTE_DOWNLOAD);
  // A search result list has a query in its URI: new things go into the root then.
  const here = folderUri.includes('?') ? MY_ROOT : folderUri;

  const open = (r: TaskRequest) => {
    setLoaded(true);
    setRequest(r);
  };
  const item = (f: FileResponse) => ({ name: f.name, uri: f.path!, folder: f.type === FileKind.Folder });

  const menuItems = (selected: FileResponse[], close: () => void): ReactNode[] => {
    const files = selected.filter((f) => f.path);
    const single = files.length === 1 ? files[0]! : undefined;
    const archive = single && single.type === FileKind.File && isArchive(single.name) ? single : undefined;
    const torrent = single && single.type === FileKind.File && /\.torrent$/i.test(single.name) ? single : undefined;
    const act = (r: TaskRequest) => () => { close(); open(r); };
    const folderOf = (f: FileResponse) => parentUri(f.path!);
    return [
      canArchive && files.length > 0 && caps.has(Capability.DownloadFile) && (
        <MenuItem key="compress" onClick={act({ kind: 'compress', items: files.map(item), folderUri: folderOf(files[0]!) })} data-testid="menu-compress">
          <ListItemIcon><ArchiveOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{text('menu.compress')}</ListItemText>
        </MenuItem>
      ),
      canArchive && archive && (
        <MenuItem key="extract-here" onClick={act({ kind: 'extract', file: item(archive), folderUri: folderOf(archive), here: true })} data-testid="menu-extract-here">
          <ListItemIcon><UnarchiveOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{text('menu.extractHere')}</ListItemText>
        </MenuItem>
      ),
      canArchive && archive && (
        <MenuItem key="extract-to" onClick={act({ kind: 'extract', file: item(archive), folderUri: folderOf(archive), here: false })} data-testid="menu-extract-to">
          <ListItemIcon><UnarchiveOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{text('menu.extractTo')}</ListItemText>
        </MenuItem>
      ),
      canDownload && torrent && (
        <MenuItem key="torrent" onClick={act({ kind: 'download', folderUri: folderOf(torrent), torrentUri: torrent.path! })} data-testid="menu-torrent-download">
          <ListItemIcon><CloudDownloadOutlinedIcon fontSize="small" /></ListItemIcon>
          <ListItemText>{text('menu.torrent')}</ListItemText>
        </MenuItem>
      ),
    ].filter(Boolean);
  };

  /** Entries of the folder's (background) menu and of the "New/Upload" menu. */
  const folderMenuItems = (close: () => void): ReactNode[] => [
    canDownload && caps.has(Capability.CreateFile) && (
      <MenuItem key="remote-download" onClick={() => { close(); open({ kind: 'download', folderUri: here }); }} data-testid="menu-remote-download">
        <ListItemIcon><CloudDownloadOutlinedIcon fontSize="small" /></ListItemIcon>
        <ListItemText>{text('menu.remoteDownload')}</ListItemText>
      </MenuItem>
    ),
  ].filter(Boolean);

  const elements = loaded ? (
    <Suspense fallback={null}>
      <TaskDialogs request={request} onClose={() => setRequest(null)} />
    </Suspense>
  ) : null;

  return { menuItems, folderMenuItems, elements };
}

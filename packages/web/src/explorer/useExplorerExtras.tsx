import { lazy, Suspense, useCallback, useMemo, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { Backdrop, Box, CircularProgress, Drawer, IconButton, ListItemIcon, ListItemText, MenuItem, ToggleButton, ToggleButtonGroup, Tooltip, useMediaQuery, useTheme } from '@mui/material';
import GridViewIcon from '@mui/icons-material/GridViewOutlined';
import ViewListIcon from '@mui/icons-material/ViewListOutlined';
import InfoOutlinedIcon from '@mui/icons-material/InfoOutlined';
import { FileKind, type FileResponse } from '@cloudreve-ts/protocol';
import { useI18n } from '../i18n/index.tsx';
import { Capability, type Boolset } from '../util/boolset.ts';
import { MY_ROOT, parseUri } from '../util/uri.ts';
import { useViewerTable, viewerFor } from '../preview/viewers.ts';
import { SearchBox, SearchTitle } from '../search/SearchBox.tsx';
import { searchUri, splitSearch, type SearchParams } from '../search/query.ts';
import type { ListMode } from './FileList.tsx';

const Preview = lazy(() => import('../preview/Preview.tsx'));
const InfoPanel = lazy(() => import('../info/InfoPanel.tsx').then((m) => ({ default: m.InfoPanel })));

export type Layout = 'list' | 'grid';
const LAYOUT_KEY = 'cr_explorer_layout';
export const INFO_WIDTH = 340;
/** Capability bit "info" (contract 20 §1.5). */
const CAP_INFO = 19;

function storedLayout(): Layout {
  return localStorage.getItem(LAYOUT_KEY) === 'grid' ? 'grid' : 'list';
}

interface Options {
  uri: string;
  mode: ListMode;
  items: readonly FileResponse[];
  caps: Boolset;
  selected: readonly FileResponse[];
  replaceItem(file: FileResponse): void;
  download(files: FileResponse[]): void;
}

/**
 * What the file browser gained for previews, the info panel, search and the grid, kept out of
 * Explorer.tsx so that file stays about the listing: state, the controls and the overlays.
 */
export function useExplorerExtras({ uri, mode, items, caps, selected, replaceItem, download }: Options) {
  const { t } = useI18n();
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up('md'));
  const navigate = useNavigate();
  const table = useViewerTable();
  const [layout, setLayoutState] = useState<Layout>(storedLayout);
  const [columns, setColumns] = useState(1);
  const [infoOpen, setInfoOpen] = useState(false);
  const [preview, setPreview] = useState<FileResponse | null>(null);

  const { base, search } = useMemo(() => splitSearch(uri), [uri]);
  const baseParsed = parseUri(base);
  const scopeName = baseParsed?.segments.at(-1) ?? (baseParsed?.fs === 'trash' ? t('nav.trash') : t('nav.myFiles'));

  const setLayout = useCallback((l: Layout) => {
    localStorage.setItem(LAYOUT_KEY, l);
    setLayoutState(l);
  }, []);

  const canPreview = useCallback(
    (file: FileResponse) => file.type === FileKind.File && caps.has(Capability.DownloadFile) && viewerFor(table, file) !== undefined,
    [caps, table],
  );
  /** Opens the preview when the file has one; false means "do the default" (download). */
  const openPreview = useCallback((file: FileResponse) => {
    if (!canPreview(file)) return false;
    setPreview(file);
    return true;
  }, [canPreview]);

  const runSearch = useCallback((p: SearchParams) => navigate(`/home?path=${encodeURIComponent(searchUri(base, p))}`), [navigate, base]);
  const clearSearch = useCallback(() => navigate(`/home?path=${encodeURIComponent(base || MY_ROOT)}`), [navigate, base]);

  const searchBox = mode === 'files' && <SearchBox current={search} scopeName={scopeName} onSearch={runSearch} />;
  const toggles = (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5, flexShrink: 0 }}>
      <ToggleButtonGroup size="small" exclusive value={layout} onChange={(_, l: Layout | null) => l && setLayout(l)} aria-label={t('files.layout')}>
        <ToggleButton value="list" aria-label={t('files.viewList')} data-testid="layout-list">
          <Tooltip title={t('files.viewList')}><ViewListIcon fontSize="small" /></Tooltip>
        </ToggleButton>
        <ToggleButton value="grid" aria-label={t('files.viewGrid')} data-testid="layout-grid">
          <Tooltip title={t('files.viewGrid')}><GridViewIcon fontSize="small" /></Tooltip>
        </ToggleButton>
      </ToggleButtonGroup>
      <Tooltip title={t('info.toggle')}>
        <IconButton onClick={() => setInfoOpen((o) => !o)} aria-label={t('info.toggle')} aria-pressed={infoOpen} color={infoOpen ? 'primary' : 'default'} data-testid="action-info">
          <InfoOutlinedIcon />
        </IconButton>
      </Tooltip>
    </Box>
  );

  /** Wide screens: search and toggles in the header row (the search gives way to the selection's actions). */
  const toolbar = wide ? (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, flexShrink: 1, minWidth: 0 }}>
      {searchBox && !selected.length && <Box sx={{ width: { md: 220, lg: 300 }, display: 'flex' }}>{searchBox}</Box>}
      {toggles}
    </Box>
  ) : null;
  /** Phones and tablets: their own row under the header. */
  const phoneRow = wide ? null : (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 2, pb: 1 }}>
      {searchBox || <Box sx={{ flex: 1 }} />}
      {toggles}
    </Box>
  );

  const title = search ? <SearchTitle search={search} scopeName={scopeName} onClear={clearSearch} /> : undefined;

  const infoTarget = selected.length === 1 ? selected[0] : undefined;
  const panel = infoOpen ? (
    <Suspense fallback={<Box sx={{ p: 3, display: 'flex', justifyContent: 'center' }}><CircularProgress size={24} /></Box>}>
      <InfoPanel file={infoTarget} onClose={() => setInfoOpen(false)} onChanged={replaceItem} />
    </Suspense>
  ) : null;
  const infoPanel = wide ? (
    panel && <Box sx={{ width: INFO_WIDTH, flexShrink: 0, borderLeft: 1, borderColor: 'divider', bgcolor: 'background.paper', minHeight: 0 }}>{panel}</Box>
  ) : (
    <Drawer anchor="right" open={infoOpen} onClose={() => setInfoOpen(false)} slotProps={{ paper: { sx: { width: `min(100%, ${INFO_WIDTH + 40}px)` }, 'aria-labelledby': 'info-panel-title' } }}>
      {panel}
    </Drawer>
  );

  const elements: ReactNode = preview && (
    <Suspense fallback={<Backdrop open sx={{ zIndex: (th) => th.zIndex.modal }}><CircularProgress color="inherit" aria-label={t('common.loading')} /></Backdrop>}>
      <Preview
        file={preview}
        items={items}
        table={table}
        canEdit={mode === 'files' && caps.has(Capability.UploadFile) && Boolean(preview.owned)}
        onShow={setPreview}
        onSaved={(f) => {
          setPreview(f);
          replaceItem(f);
        }}
        onDownload={(f) => download([f])}
        onClose={() => setPreview(null)}
      />
    </Suspense>
  );

  const menuItems = (close: () => void) => [
    caps.has(CAP_INFO) && (
      <MenuItem key="details" onClick={() => { close(); setInfoOpen(true); }} data-testid="menu-details">
        <ListItemIcon><InfoOutlinedIcon fontSize="small" /></ListItemIcon>
        <ListItemText>{t('info.title')}</ListItemText>
      </MenuItem>
    ),
  ];

  return {
    searching: Boolean(search), layout, columns, setColumns, title, toolbar, phoneRow, infoPanel, elements,
    canPreview, openPreview, menuItems,
  };
}

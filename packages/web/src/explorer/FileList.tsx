import { memo, useEffect, useMemo, useRef, type MouseEvent, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Box, CircularProgress, TableSortLabel, Typography, useMediaQuery, useTheme } from '@mui/material';
import type { FileResponse } from '@cloudreve-ts/protocol';
import { FileKind } from '@cloudreve-ts/protocol';
import { useI18n, type Translate } from '../i18n/index.tsx';
import { formatDate, formatSize } from '../util/format.ts';
import { parentUri, parseUri } from '../util/uri.ts';
import { FileIcon } from './FileIcon.tsx';
import type { Sort, SortField } from './useFolder.ts';

export const ROW_HEIGHT = 48;
/** Ask for the next page when this many rows are left below the viewport. */
const PREFETCH_ROWS = 60;

export type ListMode = 'files' | 'trash';

interface Column {
  key: string;
  label: string;
  width: string;
  sort?: SortField;
  align?: 'right';
  /** Hidden on narrow screens. */
  wide?: boolean;
  render(file: FileResponse): ReactNode;
}

function useColumns(mode: ListMode, showLocation: boolean): Column[] {
  const { t, language } = useI18n();
  return useMemo(() => {
    const columns = buildColumns(mode, t, language);
    return showLocation ? [locationColumn(t), ...columns] : columns;
  }, [mode, showLocation, t, language]);
}

/** The folder an item is in (search results come from many folders). */
function locationColumn(t: Translate): Column {
  return {
    key: 'location', label: t('files.location'), width: 'minmax(0, 0.8fr)', wide: true,
    render: (f) => {
      const p = f.path ? parseUri(parentUri(f.path)) : undefined;
      return p ? (p.segments.length ? '/' + p.segments.join('/') : t('nav.myFiles')) : '';
    },
  };
}

function buildColumns(mode: ListMode, t: Translate, language: string): Column[] {
  const size: Column = {
    key: 'size', label: t('files.size'), width: '110px', sort: 'size', align: 'right', wide: true,
    render: (f) => (f.type === FileKind.Folder ? '—' : formatSize(f.size)),
  };
  if (mode === 'trash') {
    return [
      {
        key: 'origin', label: t('files.originalLocation'), width: 'minmax(0, 0.7fr)', wide: true,
        render: (f) => {
          const from = f.metadata?.['sys:restore_uri'];
          const p = from ? parseUri(parentUri(from)) : undefined;
          return p ? (p.segments.length ? '/' + p.segments.join('/') : t('nav.myFiles')) : '';
        },
      },
      size,
      {
        key: 'expires', label: t('files.deletesOn'), width: '170px', wide: true,
        render: (f) => {
          const at = Number(f.metadata?.['sys:expected_collect_time']);
          return at > 0 ? formatDate(at * 1000, language) : '';
        },
      },
    ];
  }
  return [
    size,
    { key: 'modified', label: t('files.modified'), width: '180px', sort: 'updated_at', wide: true, render: (f) => formatDate(f.updated_at, language) },
  ];
}

interface RowProps {
  file: FileResponse;
  index: number;
  selected: boolean;
  focused: boolean;
  columns: Column[];
  template: string;
  top: number;
  draggable: boolean;
  onClick(index: number, e: MouseEvent): void;
  onDoubleClick(index: number): void;
  onContextMenu(index: number, e: MouseEvent): void;
}

/** The DOM id of a file's row or card (aria-activedescendant of the focusable grid). */
export const rowDomId = (fileId: string) => `file-${fileId}`;

/** Focus ring of the list and grid when reached with the keyboard. */
export const focusRing = { outline: '2px solid', outlineColor: 'primary.main', outlineOffset: '-2px' } as const;

const Row = memo(function Row({ file, index, selected, focused, columns, template, top, draggable, onClick, onDoubleClick, onContextMenu }: RowProps) {
  return (
    <Box
      role="row"
      id={rowDomId(file.id)}
      aria-selected={selected}
      data-focused={focused ? 'true' : undefined}
      data-testid="file-row"
      data-name={file.name}
      data-id={file.id}
      data-drop-uri={file.type === FileKind.Folder ? file.path : undefined}
      draggable={draggable}
      data-selected={selected ? 'true' : 'false'}
      onClick={(e) => {
        e.stopPropagation();
        onClick(index, e);
      }}
      onDoubleClick={() => onDoubleClick(index)}
      onContextMenu={(e) => {
        e.preventDefault();
        e.stopPropagation();
        onContextMenu(index, e);
      }}
      sx={{
        position: 'absolute',
        top: 0,
        left: 0,
        right: 0,
        height: ROW_HEIGHT,
        transform: `translateY(${top}px)`,
        display: 'grid',
        gridTemplateColumns: template,
        alignItems: 'center',
        columnGap: 2,
        px: 2,
        cursor: 'default',
        userSelect: 'none',
        borderRadius: 1.5,
        bgcolor: selected ? 'action.selected' : 'transparent',
        outline: focused ? '2px solid' : 'none',
        outlineColor: 'primary.light',
        outlineOffset: -2,
        '&:hover': { bgcolor: selected ? 'action.selected' : 'action.hover' },
      }}
    >
      <Box role="gridcell" sx={{ display: 'flex', alignItems: 'center', gap: 1.5, minWidth: 0 }}>
        <FileIcon name={file.name} folder={file.type === FileKind.Folder} />
        <Typography variant="body2" noWrap title={file.name} sx={{ fontWeight: 500 }}>
          {file.name}
        </Typography>
      </Box>
      {columns.map((c) => (
        <Typography key={c.key} role="gridcell" variant="body2" color="text.secondary" noWrap align={c.align} title={String(c.render(file) ?? '')}>
          {c.render(file)}
        </Typography>
      ))}
    </Box>
  );
});

export interface FileListProps {
  mode: ListMode;
  items: readonly FileResponse[];
  selected: ReadonlySet<string>;
  focus: number | null;
  sort: Sort;
  sortable: readonly string[];
  hasMore: boolean;
  loading: boolean;
  empty: ReactNode;
  /** Show the folder of each item (search results). */
  showLocation?: boolean;
  /** Rows can be dragged (onto folders, to move them); the page handles the drag events. */
  draggableRows?: boolean;
  onSort(field: SortField): void;
  onNeedMore(): void;
  onRowClick(index: number, e: MouseEvent): void;
  onRowOpen(index: number): void;
  onRowContextMenu(index: number, e: MouseEvent): void;
  onBackgroundClick(): void;
  onBackgroundContextMenu(e: MouseEvent): void;
}

/**
 * The folder as a list: only the rows in view exist in the DOM (so 100,000 files scroll like 10),
 * and the next page is fetched before the user reaches the end of the loaded rows.
 */
export function FileList(props: FileListProps) {
  const { t } = useI18n();
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up('sm'));
  const { items, hasMore, loading, onNeedMore, focus } = props;
  const allColumns = useColumns(props.mode, props.showLocation ?? false);
  const columns = useMemo(() => (wide ? allColumns : allColumns.filter((c) => !c.wide)), [wide, allColumns]);
  const template = ['minmax(0, 1.4fr)', ...columns.map((c) => c.width)].join(' ');
  const scrollRef = useRef<HTMLDivElement>(null);

  const virtualizer = useVirtualizer({
    count: items.length + (hasMore ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const virtualRows = virtualizer.getVirtualItems();
  const lastIndex = virtualRows.at(-1)?.index ?? 0;

  useEffect(() => {
    if (hasMore && !loading && lastIndex >= items.length - PREFETCH_ROWS) onNeedMore();
  }, [hasMore, loading, lastIndex, items.length, onNeedMore]);

  useEffect(() => {
    if (focus !== null) virtualizer.scrollToIndex(focus, { align: 'auto' });
  }, [focus, virtualizer]);

  const header = (
    <Box
      role="row"
      sx={{ display: 'grid', gridTemplateColumns: template, columnGap: 2, px: 2, mx: 1, height: 40, alignItems: 'center', borderBottom: 1, borderColor: 'divider', flexShrink: 0 }}
    >
      {[{ key: 'name', label: t('files.name'), sort: 'name' as SortField, align: undefined }, ...columns].map((c) => (
        <Box key={c.key} role="columnheader" sx={{ display: 'flex', justifyContent: c.align === 'right' ? 'flex-end' : 'flex-start', minWidth: 0 }}>
          {c.sort && props.sortable.includes(c.sort) ? (
            <TableSortLabel
              active={props.sort.by === c.sort}
              direction={props.sort.by === c.sort ? props.sort.direction : 'asc'}
              onClick={() => props.onSort(c.sort!)}
              data-testid={`sort-${c.sort}`}
              sx={{ typography: 'caption', fontWeight: 600, color: 'text.secondary' }}
            >
              {c.label}
            </TableSortLabel>
          ) : (
            <Typography variant="caption" noWrap sx={{ fontWeight: 600, color: 'text.secondary' }}>{c.label}</Typography>
          )}
        </Box>
      ))}
    </Box>
  );

  return (
    // The grid is one tab stop; the arrow keys (handled by the page) move the focused row, which
    // assistive technology follows through aria-activedescendant.
    <Box
      sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', borderRadius: 2, '&:focus-visible': focusRing }}
      role="grid"
      tabIndex={0}
      aria-label={t('files.gridLabel')}
      aria-multiselectable="true"
      aria-rowcount={items.length}
      aria-activedescendant={focus !== null && items[focus] ? rowDomId(items[focus]!.id) : undefined}
      data-testid="file-list-grid"
    >
      {header}
      <Box
        ref={scrollRef}
        data-testid="file-list"
        onClick={props.onBackgroundClick}
        onContextMenu={(e) => {
          e.preventDefault();
          props.onBackgroundContextMenu(e);
        }}
        sx={{ flex: 1, minHeight: 0, overflowY: 'auto', px: 1, pb: 2, contain: 'strict' }}
      >
        {!items.length && !loading ? (
          props.empty
        ) : (
          <Box sx={{ height: virtualizer.getTotalSize(), position: 'relative', mt: 0.5 }}>
            {virtualRows.map((v) => {
              const file = items[v.index];
              if (!file) {
                return (
                  <Box key="loader" sx={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)`, display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
                    <CircularProgress size={20} />
                  </Box>
                );
              }
              return (
                <Row
                  key={file.id}
                  file={file}
                  index={v.index}
                  selected={props.selected.has(file.id)}
                  focused={focus === v.index}
                  columns={columns}
                  template={template}
                  top={v.start}
                  draggable={props.draggableRows ?? false}
                  onClick={props.onRowClick}
                  onDoubleClick={props.onRowOpen}
                  onContextMenu={props.onRowContextMenu}
                />
              );
            })}
          </Box>
        )}
      </Box>
    </Box>
  );
}

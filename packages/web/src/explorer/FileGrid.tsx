import { memo, useEffect, useLayoutEffect, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Box, CircularProgress, Typography } from '@mui/material';
import { FileKind, type FileResponse } from '@cloudreve-ts/protocol';
import { useI18n } from '../i18n/index.tsx';
import { formatSize } from '../util/format.ts';
import { FileIcon } from './FileIcon.tsx';
import { focusRing, rowDomId } from './FileList.tsx';
import { cachedThumbnail, thumbnailImpossible, thumbnailUrl } from './thumbnails.ts';

const MIN_CARD = 150;
const GAP = 12;
const PAD = 12;
const LABEL_HEIGHT = 52;
/** Ask for the next page when this many items are left below the viewport. */
const PREFETCH_ITEMS = 60;

/** The thumbnail of a card, asked for only while the card is on screen. */
function Thumb({ file }: { file: FileResponse }) {
  const [url, setUrl] = useState<string | null | undefined>(() => cachedThumbnail(file));
  const [broken, setBroken] = useState(false);
  useEffect(() => {
    setBroken(false);
    const hit = cachedThumbnail(file);
    setUrl(hit);
    if (hit !== undefined || thumbnailImpossible(file)) return;
    const controller = new AbortController();
    thumbnailUrl(file, controller.signal).then((u) => !controller.signal.aborted && setUrl(u), () => undefined);
    return () => controller.abort();
  }, [file]);
  if (url && !broken) {
    return <Box component="img" src={url} alt="" loading="lazy" draggable={false} onError={() => setBroken(true)} data-testid="card-thumb" sx={{ width: '100%', height: '100%', objectFit: 'cover', display: 'block' }} />;
  }
  return <FileIcon name={file.name} folder={file.type === FileKind.Folder} size={56} />;
}

interface CardProps {
  file: FileResponse;
  index: number;
  selected: boolean;
  focused: boolean;
  left: number;
  top: number;
  width: number;
  height: number;
  onClick(index: number, e: MouseEvent): void;
  onDoubleClick(index: number): void;
  onContextMenu(index: number, e: MouseEvent): void;
  draggable: boolean;
}

const Card = memo(function Card({ file, index, selected, focused, left, top, width, height, draggable, onClick, onDoubleClick, onContextMenu }: CardProps) {
  const folder = file.type === FileKind.Folder;
  return (
    <Box
      role="gridcell"
      id={rowDomId(file.id)}
      aria-selected={selected}
      data-focused={focused ? 'true' : undefined}
      data-testid="file-card"
      data-name={file.name}
      data-id={file.id}
      data-drop-uri={folder ? file.path : undefined}
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
        position: 'absolute', top: 0, left: 0, width, height, transform: `translate(${left}px, ${top}px)`,
        display: 'flex', flexDirection: 'column', borderRadius: 2, overflow: 'hidden', cursor: 'default', userSelect: 'none',
        border: 1, borderColor: selected ? 'primary.main' : 'divider',
        bgcolor: selected ? 'action.selected' : 'background.paper',
        outline: focused ? '2px solid' : 'none', outlineColor: 'primary.light', outlineOffset: 1,
        '&:hover': { bgcolor: selected ? 'action.selected' : 'action.hover' },
      }}
    >
      <Box sx={{ flex: 1, minHeight: 0, display: 'flex', alignItems: 'center', justifyContent: 'center', bgcolor: 'action.hover' }}>
        {folder ? <FileIcon name={file.name} folder size={64} /> : <Thumb file={file} />}
      </Box>
      <Box sx={{ height: LABEL_HEIGHT, px: 1.25, display: 'flex', flexDirection: 'column', justifyContent: 'center', minWidth: 0 }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.75, minWidth: 0 }}>
          <FileIcon name={file.name} folder={folder} size={18} />
          <Typography variant="body2" noWrap title={file.name} sx={{ fontWeight: 500, minWidth: 0 }}>{file.name}</Typography>
        </Box>
        {!folder && <Typography variant="caption" color="text.secondary" noWrap>{formatSize(file.size)}</Typography>}
      </Box>
    </Box>
  );
});

export interface FileGridProps {
  items: readonly FileResponse[];
  selected: ReadonlySet<string>;
  focus: number | null;
  hasMore: boolean;
  loading: boolean;
  empty: ReactNode;
  onNeedMore(): void;
  onRowClick(index: number, e: MouseEvent): void;
  onRowOpen(index: number): void;
  onRowContextMenu(index: number, e: MouseEvent): void;
  onBackgroundClick(): void;
  onBackgroundContextMenu(e: MouseEvent): void;
  /** Cards per row, for the arrow keys. */
  onColumns?(columns: number): void;
  /** Cards can be dragged onto folder cards and breadcrumbs to move them. */
  draggableCards?: boolean;
}

/**
 * The folder as cards with thumbnails, virtualised by rows like the list: only the rows in view
 * exist, and only their files ask for thumbnails.
 */
export function FileGrid(props: FileGridProps) {
  const { t } = useI18n();
  const { items, hasMore, loading, onNeedMore, focus, onColumns } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const measure = () => setWidth(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const inner = Math.max(0, width - 2 * PAD);
  const columns = Math.max(1, Math.floor((inner + GAP) / (MIN_CARD + GAP)));
  const cardWidth = columns > 0 ? (inner - GAP * (columns - 1)) / columns : MIN_CARD;
  const cardHeight = Math.round(cardWidth * 0.72) + LABEL_HEIGHT;
  const rowCount = Math.ceil(items.length / columns);

  useEffect(() => onColumns?.(columns), [columns, onColumns]);

  const virtualizer = useVirtualizer({
    count: rowCount + (hasMore ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => cardHeight + GAP,
    overscan: 3,
  });
  useEffect(() => virtualizer.measure(), [cardHeight, virtualizer]);
  const virtualRows = virtualizer.getVirtualItems();
  const lastRow = virtualRows.at(-1)?.index ?? 0;

  useEffect(() => {
    if (hasMore && !loading && (lastRow + 1) * columns >= items.length - PREFETCH_ITEMS) onNeedMore();
  }, [hasMore, loading, lastRow, columns, items.length, onNeedMore]);

  useEffect(() => {
    if (focus !== null) virtualizer.scrollToIndex(Math.floor(focus / columns), { align: 'auto' });
  }, [focus, columns, virtualizer]);

  return (
    <Box
      ref={scrollRef}
      role="grid"
      aria-multiselectable="true"
      aria-rowcount={rowCount}
      aria-label={t('files.gridLabel')}
      tabIndex={0}
      aria-activedescendant={focus !== null && items[focus] ? rowDomId(items[focus]!.id) : undefined}
      data-testid="file-grid"
      onClick={props.onBackgroundClick}
      onContextMenu={(e) => {
        e.preventDefault();
        props.onBackgroundContextMenu(e);
      }}
      sx={{ flex: 1, minHeight: 0, overflowY: 'auto', contain: 'strict', '&:focus-visible': focusRing }}
    >
      {!items.length && !loading ? (
        props.empty
      ) : (
        <Box sx={{ height: virtualizer.getTotalSize() + 2 * PAD, position: 'relative' }}>
          {virtualRows.map((v) => {
            const top = v.start + PAD;
            if (v.index >= rowCount) {
              return (
                <Box key="loader" sx={{ position: 'absolute', top: 0, left: 0, right: 0, height: 48, transform: `translateY(${top}px)`, display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
                  <CircularProgress size={20} />
                </Box>
              );
            }
            const cards = [];
            for (let c = 0; c < columns; c++) {
              const index = v.index * columns + c;
              const file = items[index];
              if (!file) break;
              cards.push(
                <Card
                  key={file.id}
                  file={file}
                  index={index}
                  selected={props.selected.has(file.id)}
                  focused={focus === index}
                  left={PAD + c * (cardWidth + GAP)}
                  top={top}
                  width={cardWidth}
                  height={cardHeight}
                  draggable={props.draggableCards ?? false}
                  onClick={props.onRowClick}
                  onDoubleClick={props.onRowOpen}
                  onContextMenu={props.onRowContextMenu}
                />,
              );
            }
            return <Box key={v.key} role="row" sx={{ display: 'contents' }}>{cards}</Box>;
          })}
        </Box>
      )}
    </Box>
  );
}

import { useCallback, useEffect, useState, type KeyboardEvent } from 'react';
import { Box, CircularProgress, IconButton, List, ListItemButton, ListItemIcon, ListItemText, Typography } from '@mui/material';
import ChevronRightIcon from '@mui/icons-material/ChevronRight';
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import FolderOutlinedIcon from '@mui/icons-material/FolderOutlined';
import FolderOpenOutlinedIcon from '@mui/icons-material/FolderOpenOutlined';
import { FileKind } from '@cloudreve-ts/protocol';
import { files } from '../api/endpoints.ts';
import { describeError } from '../api/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import { baseName } from '../util/uri.ts';

interface Node { uri: string; name: string }
type Children = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; folders: Node[] };

/** Sub-folders of a folder: folders come first in a listing, so pages stop at the first file. */
async function listFolders(uri: string): Promise<Node[]> {
  const out: Node[] = [];
  let token: string | undefined;
  for (let page = 0; page < 20; page++) {
    const res = await files.list({ uri, page_size: 200, order_by: 'name', order_direction: 'asc', next_page_token: token });
    for (const f of res.files) if (f.type === FileKind.Folder && f.path && !f.metadata?.['sys:shared_redirect']) out.push({ uri: f.path, name: f.name });
    token = res.pagination.next_token;
    if (!token || res.files.some((f) => f.type === FileKind.File)) break;
  }
  return out;
}

interface FolderTreeProps {
  root: Node;
  selected: string;
  onSelect(uri: string): void;
  /** Folders that cannot be picked (the items being moved: a folder cannot go into itself). */
  disabled?: ReadonlySet<string>;
}

/**
 * A folder tree that loads each level when it is opened. Arrow keys move between rows, → opens,
 * ← closes, Enter/Space picks; every row is a labelled tree item.
 */
export function FolderTree({ root, selected, onSelect, disabled }: FolderTreeProps) {
  const { t, language } = useI18n();
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set([root.uri]));
  const [children, setChildren] = useState<Record<string, Children>>({});

  const load = useCallback(
    (uri: string) => {
      setChildren((c) => ({ ...c, [uri]: { state: 'loading' } }));
      listFolders(uri).then(
        (folders) => setChildren((c) => ({ ...c, [uri]: { state: 'ready', folders } })),
        (err) => setChildren((c) => ({ ...c, [uri]: { state: 'error', message: describeError(err, t, language) } })),
      );
    },
    [t, language],
  );

  useEffect(() => load(root.uri), [root.uri, load]);

  const toggle = (uri: string, want?: boolean) => {
    const isOpen = open.has(uri);
    const next = want ?? !isOpen;
    if (next === isOpen) return;
    const s = new Set(open);
    if (next) {
      s.add(uri);
      if (!children[uri] || children[uri]!.state === 'error') load(uri);
    } else s.delete(uri);
    setOpen(s);
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>, uri: string) => {
    const rows = Array.from(e.currentTarget.closest('[role="tree"]')?.querySelectorAll<HTMLElement>('[role="treeitem"]') ?? []);
    const at = rows.indexOf(e.currentTarget);
    if (e.key === 'ArrowDown') rows[at + 1]?.focus();
    else if (e.key === 'ArrowUp') rows[at - 1]?.focus();
    else if (e.key === 'ArrowRight') toggle(uri, true);
    else if (e.key === 'ArrowLeft') toggle(uri, false);
    else return;
    e.preventDefault();
  };

  const render = (node: Node, depth: number) => {
    const isOpen = open.has(node.uri);
    const kids = children[node.uri];
    const off = disabled?.has(node.uri) ?? false;
    return (
      <Box component="li" key={node.uri} sx={{ listStyle: 'none' }}>
        <ListItemButton
          role="treeitem"
          aria-expanded={isOpen}
          aria-selected={selected === node.uri}
          aria-disabled={off}
          aria-label={node.name}
          selected={selected === node.uri}
          disabled={off}
          onClick={() => onSelect(node.uri)}
          onDoubleClick={() => toggle(node.uri)}
          onKeyDown={(e) => onKey(e, node.uri)}
          data-testid="tree-node"
          data-uri={node.uri}
          sx={{ pl: 0.5 + depth * 2, py: 0.25, minHeight: 40 }}
        >
          <IconButton
            size="small"
            tabIndex={-1}
            aria-label={isOpen ? t('tree.collapse', { name: node.name }) : t('tree.expand', { name: node.name })}
            onClick={(e) => {
              e.stopPropagation();
              toggle(node.uri);
            }}
            data-testid="tree-toggle"
          >
            {isOpen ? <ExpandMoreIcon fontSize="small" /> : <ChevronRightIcon fontSize="small" />}
          </IconButton>
          <ListItemIcon sx={{ minWidth: 32 }}>
            {isOpen ? <FolderOpenOutlinedIcon fontSize="small" color="primary" /> : <FolderOutlinedIcon fontSize="small" color="primary" />}
          </ListItemIcon>
          <ListItemText primary={node.name} slotProps={{ primary: { noWrap: true, variant: 'body2' } }} />
        </ListItemButton>
        {isOpen && (
          <List disablePadding role="group" component="ul" sx={{ m: 0, p: 0 }}>
            {kids?.state === 'loading' && (
              <Box sx={{ pl: 4 + depth * 2, py: 1 }}><CircularProgress size={16} aria-label={t('common.loading')} /></Box>
            )}
            {kids?.state === 'error' && (
              <Typography variant="caption" color="error" sx={{ display: 'block', pl: 4 + depth * 2, py: 0.5 }}>{kids.message}</Typography>
            )}
            {kids?.state === 'ready' && kids.folders.map((c) => render(c, depth + 1))}
          </List>
        )}
      </Box>
    );
  };

  return (
    <List role="tree" aria-label={t('tree.label')} component="ul" dense sx={{ m: 0, p: 0 }} data-testid="folder-tree">
      {render(root, 0)}
    </List>
  );
}

export const treeNode = (uri: string, fallback: string): Node => ({ uri, name: baseName(uri) || fallback });

import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  Alert, Box, Button, Checkbox, IconButton, LinearProgress, MenuItem, Paper, Table, TableBody, TableCell,
  TableContainer, TableHead, TablePagination, TableRow, TableSortLabel, TextField, Tooltip, Typography,
} from '@mui/material';
import RefreshIcon from '@mui/icons-material/Refresh';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlineOutlined';
import VisibilityOutlinedIcon from '@mui/icons-material/VisibilityOutlined';
import { useNotify } from '../../components/Notifier.tsx';
import { useAdminI18n } from '../i18n/index.ts';
import type { Lister } from '../api.ts';
import { ConfirmDialog } from './common.tsx';

export interface Column<T> {
  id: string;
  label: string;
  /** Server-side sort column (the list's `order_by` value); absent = not sortable. */
  sort?: string;
  render(row: T): ReactNode;
  /** Hidden below the `sm` breakpoint to keep phone tables narrow. */
  wide?: boolean;
  align?: 'right' | 'left';
}

export interface FilterDef {
  /** The list's condition key (e.g. `user_status`). */
  key: string;
  label: string;
  kind: 'text' | 'int' | 'select' | 'uuid';
  options?: { value: string; label: string }[];
}

interface Props<T extends { id: number }> {
  testId: string;
  list: Lister<T>;
  columns: Column<T>[];
  filters?: FilterDef[];
  initialFilters?: Record<string, string>;
  defaultSort?: { by: string; dir: 'asc' | 'desc' };
  onView?(row: T): void;
  rowActions?(row: T, reload: () => void): ReactNode;
  /** Deletes the given ids; enables row selection and the batch delete button (with confirmation). */
  onDelete?(ids: number[]): Promise<void>;
  /** A name for the confirmation when one row is deleted. */
  rowName?(row: T): string;
  /** Extra controls inside the delete confirmation (e.g. a "force" switch). */
  deleteOptions?: ReactNode;
  /** Changing this reloads the page of rows. */
  reloadKey?: number;
}

/** The actions column stays in view while a wide table scrolls sideways. */
const STICKY = { position: 'sticky', right: 0, bgcolor: 'background.paper', boxShadow: (th: { palette: { divider: string } }) => `-1px 0 0 ${th.palette.divider}` } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One admin list: server-side pagination, sort and filters (AdminListService), row selection and
 * batch delete with confirmation. Tables scroll sideways on narrow screens.
 */
export function ResourceTable<T extends { id: number }>(props: Props<T>) {
  const { testId, list, columns, filters = [], onView, rowActions, onDelete, rowName, deleteOptions, reloadKey } = props;
  const { t, tp, err } = useAdminI18n();
  const notify = useNotify();
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(25);
  const [sort, setSort] = useState(props.defaultSort ?? { by: 'id', dir: 'desc' as const });
  const [draft, setDraft] = useState<Record<string, string>>(props.initialFilters ?? {});
  const [applied, setApplied] = useState<Record<string, string>>(props.initialFilters ?? {});
  const [rows, setRows] = useState<T[]>([]);
  const [total, setTotal] = useState<number | undefined>(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirm, setConfirm] = useState<number[] | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  const filterErrors = useMemo(() => {
    const out: Record<string, string> = {};
    for (const f of filters) {
      const v = (draft[f.key] ?? '').trim();
      if (!v) continue;
      if (f.kind === 'int' && !/^\d+$/.test(v)) out[f.key] = t('admin.common.mustBeInt');
      if (f.kind === 'uuid' && !UUID.test(v)) out[f.key] = t('admin.task.invalidUuid');
    }
    return out;
  }, [draft, filters, t]);

  // Filters apply shortly after typing stops, and only when they are valid.
  useEffect(() => {
    if (Object.keys(filterErrors).length) return;
    const timer = setTimeout(() => {
      const clean = Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v));
      setApplied((prev) => (JSON.stringify(prev) === JSON.stringify(clean) ? prev : clean));
      setPage(0);
    }, 350);
    return () => clearTimeout(timer);
  }, [draft, filterErrors]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    list({ page: page + 1, page_size: pageSize, order_by: sort.by, order_direction: sort.dir, conditions: applied })
      .then((res) => {
        if (!live) return;
        setRows(res.items);
        setTotal(res.total ?? (res.items.length < pageSize ? page * pageSize + res.items.length : undefined));
        setError(undefined);
        setSelected(new Set());
      })
      .catch((e) => live && setError(err(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [list, page, pageSize, sort, applied, tick, reloadKey, err]);

  const visible = (c: Column<T>) => (c.wide ? { display: { xs: 'none', sm: 'table-cell' } } : undefined);
  const allChecked = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const toggle = (id: number) => setSelected((s) => {
    const n = new Set(s);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    return n;
  });
  const confirmName = confirm?.length === 1 ? rowName?.(rows.find((r) => r.id === confirm[0])!) ?? `#${confirm[0]}` : '';

  return (
    <Box data-testid={testId}>
      {(filters.length > 0 || onDelete) && (
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, alignItems: 'flex-start', mb: 1.5 }}>
          {filters.map((f) => (
            <TextField
              key={f.key}
              select={f.kind === 'select'}
              size="small"
              label={f.label}
              value={draft[f.key] ?? ''}
              onChange={(e) => setDraft((d) => ({ ...d, [f.key]: e.target.value }))}
              error={Boolean(filterErrors[f.key])}
              helperText={filterErrors[f.key]}
              sx={{ width: { xs: 'calc(50% - 4px)', sm: 200 } }}
              slotProps={{ htmlInput: { 'data-testid': `filter-${f.key}` } }}
            >
              {f.kind === 'select' && [
                <MenuItem key="" value="">{t('admin.common.any')}</MenuItem>,
                ...(f.options ?? []).map((o) => <MenuItem key={o.value} value={o.value}>{o.label}</MenuItem>),
              ]}
            </TextField>
          ))}
          <Box sx={{ flex: 1 }} />
          {selected.size > 0 && onDelete && (
            <Button color="error" variant="outlined" startIcon={<DeleteOutlineIcon />} onClick={() => setConfirm([...selected])} data-testid="batch-delete">
              {t('admin.common.deleteSelected')} ({selected.size})
            </Button>
          )}
          <Tooltip title={t('admin.common.refresh')}>
            <IconButton onClick={reload} aria-label={t('admin.common.refresh')}><RefreshIcon /></IconButton>
          </Tooltip>
        </Box>
      )}
      {error && <Alert severity="error" sx={{ mb: 1.5 }} data-testid="list-error">{error}</Alert>}
      <Paper variant="outlined" sx={{ overflow: 'hidden' }}>
        {loading ? <LinearProgress /> : <Box sx={{ height: 4 }} />}
        <TableContainer sx={{ overflowX: 'auto' }}>
          <Table size="small" sx={{ minWidth: { xs: 0, sm: 560 } }}>
            <TableHead>
              <TableRow>
                {onDelete && (
                  <TableCell padding="checkbox">
                    <Checkbox
                      checked={allChecked}
                      indeterminate={selected.size > 0 && !allChecked}
                      onChange={() => setSelected(allChecked ? new Set() : new Set(rows.map((r) => r.id)))}
                      slotProps={{ input: { 'aria-label': t('admin.common.selectAll') } }}
                    />
                  </TableCell>
                )}
                {columns.map((c) => (
                  <TableCell key={c.id} align={c.align} sx={{ ...visible(c), whiteSpace: 'nowrap', fontWeight: 600 }}>
                    {c.sort ? (
                      <TableSortLabel
                        active={sort.by === c.sort}
                        direction={sort.by === c.sort ? sort.dir : 'asc'}
                        onClick={() => setSort((s) => ({ by: c.sort!, dir: s.by === c.sort && s.dir === 'asc' ? 'desc' : 'asc' }))}
                        data-testid={`sort-${c.sort}`}
                      >
                        {c.label}
                      </TableSortLabel>
                    ) : c.label}
                  </TableCell>
                ))}
                {(onView || rowActions || onDelete) && <TableCell align="right" sx={{ ...STICKY, fontWeight: 600 }}>{t('admin.common.actions')}</TableCell>}
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((row) => (
                <TableRow key={row.id} hover selected={selected.has(row.id)} data-testid={`row-${row.id}`}>
                  {onDelete && (
                    <TableCell padding="checkbox">
                      <Checkbox checked={selected.has(row.id)} onChange={() => toggle(row.id)} slotProps={{ input: { 'aria-label': t('admin.common.selectRow', { id: row.id }) } }} />
                    </TableCell>
                  )}
                  {columns.map((c) => (
                    <TableCell key={c.id} align={c.align} sx={{ ...visible(c), maxWidth: 280, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                      {c.render(row)}
                    </TableCell>
                  ))}
                  {(onView || rowActions || onDelete) && (
                    <TableCell align="right" sx={{ ...STICKY, whiteSpace: 'nowrap', py: 0 }}>
                      {onView && (
                        <Tooltip title={t('admin.common.view')}>
                          <IconButton size="small" onClick={() => onView(row)} aria-label={`${t('admin.common.view')} #${row.id}`} data-testid={`view-${row.id}`}>
                            <VisibilityOutlinedIcon fontSize="small" />
                          </IconButton>
                        </Tooltip>
                      )}
                      {rowActions?.(row, reload)}
                      {onDelete && (
                        <Tooltip title={t('admin.common.delete')}>
                          <IconButton size="small" onClick={() => setConfirm([row.id])} aria-label={`${t('admin.common.delete')} #${row.id}`} data-testid={`delete-${row.id}`}>
                            <DeleteOutlineIcon fontSize="small" />
                          </IconButton>
                        </Tooltip>
                      )}
                    </TableCell>
                  )}
                </TableRow>
              ))}
              {!loading && rows.length === 0 && !error && (
                <TableRow>
                  <TableCell colSpan={columns.length + 2}>
                    <Typography color="text.secondary" sx={{ py: 3, textAlign: 'center' }}>{t('admin.common.empty')}</Typography>
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
        <TablePagination
          component="div"
          count={total ?? -1}
          page={page}
          rowsPerPage={pageSize}
          rowsPerPageOptions={[10, 25, 50, 100]}
          labelRowsPerPage={t('admin.common.rowsPerPage')}
          onPageChange={(_, p) => setPage(p)}
          onRowsPerPageChange={(e) => {
            setPageSize(Number(e.target.value));
            setPage(0);
          }}
          sx={{ '.MuiTablePagination-toolbar': { flexWrap: 'wrap', px: 1 } }}
        />
      </Paper>
      {onDelete && (
        <ConfirmDialog
          open={confirm !== null}
          title={t('admin.common.deleteConfirm.title')}
          message={confirm?.length === 1 ? t('admin.common.deleteConfirm.one', { name: confirmName }) : tp('admin.common.deleteConfirm', confirm?.length ?? 0)}
          confirmLabel={t('admin.common.delete')}
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            try {
              await onDelete(confirm ?? []);
              notify(tp('admin.common.deleted', confirm?.length ?? 0), 'success');
              setConfirm(null);
              reload();
              return undefined;
            } catch (e) {
              return err(e);
            }
          }}
        >
          {deleteOptions}
        </ConfirmDialog>
      )}
    </Box>
  );
}

import { useState } from 'react';
import { Alert, Box, Button, Checkbox, FormControlLabel, FormGroup, FormLabel, IconButton, LinearProgress, MenuItem, Stack, TextField, Tooltip } from '@mui/material';
import AddIcon from '@mui/icons-material/Add';
import EditOutlinedIcon from '@mui/icons-material/EditOutlined';
import { Boolset } from '../../util/boolset.ts';
import { formatSize } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n, type AdminKey } from '../i18n/index.ts';
import { BytesField, FormDialog, PageHeader, isInt, useSaveDialog } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import { usePolicies } from '../components/useOptions.ts';
import type { AdminGroup } from '../types.ts';
import { encodeBoolset } from '../boolset.ts';

/** Permission bits the form offers (contract 00 §7 group permissions). */
const PERMISSIONS = [0, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 16] as const;

interface Draft {
  name: string;
  maxStorage: number;
  speedLimit: number;
  policy: number | '';
  perms: Set<number>;
  trashRetention: string;
  sourceBatch: string;
  maxWalked: string;
}

function GroupDialog({ group, onClose, onSaved }: { group: AdminGroup | 'new'; onClose(): void; onSaved(): void }) {
  const { t } = useAdminI18n();
  const policies = usePolicies();
  const isNew = group === 'new';
  const [d, setD] = useState<Draft>(() => {
    const g = isNew ? undefined : group;
    const bits = new Boolset(g?.permissions);
    return {
      name: g?.name ?? '',
      maxStorage: g?.max_storage ?? 1024 ** 3,
      speedLimit: g?.speed_limit ?? 0,
      policy: g?.storage_policy_id ?? g?.edges.storage_policies?.id ?? (isNew ? 1 : ''),
      perms: new Set(isNew ? [2, 7] : PERMISSIONS.filter((p) => bits.has(p))),
      trashRetention: String(g?.settings?.trash_retention ?? 604800),
      sourceBatch: String(g?.settings?.source_batch ?? 10),
      maxWalked: String(g?.settings?.max_walked_files ?? 100000),
    };
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const saveWith = useSaveDialog(setErrors, onSaved);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setD((o) => ({ ...o, [k]: v }));
    setErrors(({ [k]: _, ...rest }) => rest);
  };
  return (
    <FormDialog
      open
      title={isNew ? t('admin.group.create') : t('admin.group.edit', { id: group.id })}
      testId="group-dialog"
      onClose={onClose}
      onSubmit={async () => {
        const p: Record<string, string> = {};
        if (!d.name.trim()) p.name = t('admin.common.required');
        if (!Number.isFinite(d.maxStorage)) p.maxStorage = t('admin.common.mustBeInt');
        if (!Number.isFinite(d.speedLimit)) p.speedLimit = t('admin.common.mustBeInt');
        if (d.policy === '') p.policy = t('admin.group.policyRequired');
        for (const k of ['trashRetention', 'sourceBatch', 'maxWalked'] as const) if (!isInt(d[k])) p[k] = t('admin.common.mustBeInt');
        // Keep bits this form does not show (e.g. anonymous) as they were.
        const old = new Boolset(isNew ? '' : group.permissions);
        const bits = new Set<number>();
        for (let i = 0; i < 64; i++) if (!(PERMISSIONS as readonly number[]).includes(i) && old.has(i)) bits.add(i);
        d.perms.forEach((b) => bits.add(b));
        return saveWith(p, () => adminApi.saveGroup({
          id: isNew ? undefined : group.id,
          name: d.name.trim(),
          max_storage: d.maxStorage,
          speed_limit: d.speedLimit,
          permissions: encodeBoolset(bits),
          settings: { ...(isNew ? {} : group.settings), trash_retention: Number(d.trashRetention), source_batch: Number(d.sourceBatch), max_walked_files: Number(d.maxWalked) },
          edges: { storage_policies: { id: Number(d.policy) } },
        }));
      }}
    >
      <Stack spacing={2}>
        <TextField label={t('admin.common.name')} value={d.name} onChange={(e) => set('name', e.target.value)} error={Boolean(errors.name)} helperText={errors.name} slotProps={{ htmlInput: { 'data-testid': 'group-name' } }} />
        <TextField select label={t('admin.common.policy')} value={policies.length ? d.policy : ''} onChange={(e) => set('policy', Number(e.target.value))} error={Boolean(errors.policy)} helperText={errors.policy} slotProps={{ htmlInput: { 'data-testid': 'group-policy' } }}>
          {policies.map((p) => <MenuItem key={p.id} value={p.id}>{p.name}</MenuItem>)}
        </TextField>
        <BytesField label={t('admin.group.maxStorage')} value={d.maxStorage} onChange={(v) => set('maxStorage', v)} error={Boolean(errors.maxStorage)} helperText={errors.maxStorage} testId="group-quota" />
        <BytesField label={t('admin.group.speedLimit')} value={d.speedLimit} onChange={(v) => set('speedLimit', v)} error={Boolean(errors.speedLimit)} helperText={errors.speedLimit} testId="group-speed" />
        <Box>
          <FormLabel component="legend" sx={{ mb: 0.5 }}>{t('admin.group.permissions')}</FormLabel>
          <FormGroup sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', sm: '1fr 1fr' } }}>
            {PERMISSIONS.map((b) => (
              <FormControlLabel
                key={b}
                label={t(`admin.perm.${b}` as AdminKey)}
                control={<Checkbox size="small" checked={d.perms.has(b)} onChange={(e) => {
                  const next = new Set(d.perms);
                  if (e.target.checked) next.add(b);
                  else next.delete(b);
                  set('perms', next);
                }} slotProps={{ input: { 'data-testid': `perm-${b}` } as object }} />}
              />
            ))}
          </FormGroup>
        </Box>
        <TextField label={t('admin.group.trashRetention')} value={d.trashRetention} onChange={(e) => set('trashRetention', e.target.value)} error={Boolean(errors.trashRetention)} helperText={errors.trashRetention} />
        <TextField label={t('admin.group.sourceBatch')} value={d.sourceBatch} onChange={(e) => set('sourceBatch', e.target.value)} error={Boolean(errors.sourceBatch)} helperText={errors.sourceBatch} />
        <TextField label={t('admin.group.maxWalkedFiles')} value={d.maxWalked} onChange={(e) => set('maxWalked', e.target.value)} error={Boolean(errors.maxWalked)} helperText={errors.maxWalked} />
      </Stack>
    </FormDialog>
  );
}

export default function Groups() {
  const { t, err } = useAdminI18n();
  const [editing, setEditing] = useState<AdminGroup | 'new' | null>(null);
  const [busy, setBusy] = useState(false);
  const [openError, setOpenError] = useState<string | undefined>();
  const [reloadKey, setReloadKey] = useState(0);
  const open = async (id: number) => {
    setBusy(true);
    setOpenError(undefined);
    try {
      setEditing(await adminApi.group(id));
    } catch (e) {
      setOpenError(err(e));
    } finally {
      setBusy(false);
    }
  };
  const columns: Column<AdminGroup>[] = [
    { id: 'id', label: t('admin.common.id'), sort: 'id', render: (g) => g.id },
    { id: 'name', label: t('admin.common.name'), sort: 'name', render: (g) => g.name },
    { id: 'quota', label: t('admin.group.maxStorage'), sort: 'max_storage', render: (g) => formatSize(g.max_storage ?? 0), align: 'right' },
    { id: 'policy', label: t('admin.common.policy'), render: (g) => g.edges.storage_policies?.name ?? g.storage_policy_id ?? '—', wide: true },
    { id: 'speed', label: t('admin.group.speedLimit').split('(')[0]!.trim(), render: (g) => (g.speed_limit ? `${formatSize(g.speed_limit)}/s` : t('admin.common.unlimited')), wide: true },
  ];
  return (
    <Box>
      <PageHeader title={t('admin.nav.groups')}>
        <Button variant="contained" startIcon={<AddIcon />} onClick={() => setEditing('new')} data-testid="group-create">{t('admin.group.create')}</Button>
      </PageHeader>
      {busy && <LinearProgress sx={{ mb: 1 }} />}
      {openError && <Alert severity="error" sx={{ mb: 1 }}>{openError}</Alert>}
      <ResourceTable<AdminGroup>
        testId="groups-table"
        list={adminApi.groups}
        reloadKey={reloadKey}
        defaultSort={{ by: 'id', dir: 'asc' }}
        columns={columns}
        rowName={(g) => g.name}
        onDelete={async (ids) => {
          for (const id of ids) await adminApi.deleteGroup(id);
        }}
        rowActions={(g) => (
          <Tooltip title={t('admin.common.edit')}>
            <IconButton size="small" onClick={() => open(g.id)} aria-label={`${t('admin.common.edit')} #${g.id}`} data-testid={`edit-${g.id}`}><EditOutlinedIcon fontSize="small" /></IconButton>
          </Tooltip>
        )}
      />
      {editing && <GroupDialog group={editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); setReloadKey((n) => n + 1); }} />}
    </Box>
  );
}

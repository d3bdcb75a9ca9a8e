import { useState } from 'react';
import { Alert, Box, Button, Chip, Divider, FormControlLabel, IconButton, LinearProgress, MenuItem, Stack, Switch, TextField, Tooltip, Typography } from '@mui/material';
import AddIcon from '@mui/icons-material/Add';
import EditOutlinedIcon from '@mui/icons-material/EditOutlined';
import { useNotify } from '../../components/Notifier.tsx';
import { formatDate } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n, type AdminKey } from '../i18n/index.ts';
import { FormDialog, PageHeader, isInt, useSaveDialog } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import type { AdminNode, NodeSettings } from '../types.ts';

interface Draft {
  name: string;
  server: string;
  slaveKey: string;
  weight: string;
  status: 'active' | 'suspended';
  provider: '' | 'aria2' | 'qbittorrent';
  rpcServer: string;
  secret: string;
  user: string;
  tempPath: string;
  options: string;
  interval: string;
  waitSeeding: boolean;
}

function toDraft(n?: AdminNode): Draft {
  const s = n?.settings ?? {};
  const p = s.provider === 'qbittorrent' ? 'qbittorrent' : s.provider === 'aria2' ? 'aria2' : '';
  const dl = p === 'qbittorrent' ? s.qbittorrent : s.aria2;
  return {
    name: n?.name ?? '',
    server: n?.server ?? '',
    slaveKey: n?.slave_key ?? '',
    weight: String(n?.weight ?? 1),
    status: n?.status ?? 'active',
    provider: p,
    rpcServer: dl?.server ?? '',
    secret: (p === 'qbittorrent' ? s.qbittorrent?.password : s.aria2?.token) ?? '',
    user: s.qbittorrent?.user ?? '',
    tempPath: dl?.temp_path ?? '',
    options: dl?.options && Object.keys(dl.options).length ? JSON.stringify(dl.options, null, 2) : '',
    interval: String(s.interval ?? 5),
    waitSeeding: Boolean(s.wait_for_seeding),
  };
}

function NodeDialog({ node, onClose, onSaved }: { node: AdminNode | 'new'; onClose(): void; onSaved(): void }) {
  const { t, err } = useAdminI18n();
  const notify = useNotify();
  const isNew = node === 'new';
  const master = !isNew && node.type === 'master';
  const [d, setD] = useState<Draft>(() => toDraft(isNew ? undefined : node));
  const [errors, setErrors] = useState<Partial<Record<keyof Draft, string>>>({});
  const saveWith = useSaveDialog(setErrors, onSaved);
  const [testing, setTesting] = useState(false);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setD((o) => ({ ...o, [k]: v }));
    setErrors(({ [k]: _, ...rest }) => rest);
  };

  const problems = (forDownloader = false) => {
    const e: typeof errors = {};
    const req = t('admin.common.required');
    if (!forDownloader) {
      if (!d.name.trim()) e.name = req;
      if (!master) {
        try {
          new URL(d.server.trim());
        } catch {
          e.server = d.server.trim() ? t('admin.common.invalidUrl') : req;
        }
        if (!d.slaveKey.trim()) e.slaveKey = req;
      }
      if (!isInt(d.weight)) e.weight = t('admin.common.mustBeInt');
    }
    if (d.provider) {
      if (!d.rpcServer.trim()) e.rpcServer = req;
      if (d.options.trim()) {
        try {
          const o = JSON.parse(d.options);
          if (typeof o !== 'object' || Array.isArray(o) || o === null) e.options = t('admin.common.invalidJson');
        } catch {
          e.options = t('admin.common.invalidJson');
        }
      }
      if (!isInt(d.interval)) e.interval = t('admin.common.mustBeInt');
    }
    return e;
  };

  const payload = (): Partial<AdminNode> => {
    const old: NodeSettings = isNew ? {} : node.settings ?? {};
    const options = d.options.trim() ? (JSON.parse(d.options) as Record<string, unknown>) : {};
    const settings: NodeSettings = { ...old, provider: d.provider, interval: Number(d.interval) || 0, wait_for_seeding: d.waitSeeding };
    if (d.provider === 'aria2') settings.aria2 = { server: d.rpcServer.trim(), token: d.secret, temp_path: d.tempPath.trim(), options };
    if (d.provider === 'qbittorrent') settings.qbittorrent = { server: d.rpcServer.trim(), user: d.user.trim(), password: d.secret, temp_path: d.tempPath.trim(), options };
    return {
      ...(isNew ? { type: 'slave' as const } : { id: node.id, type: node.type, capabilities: node.capabilities }),
      name: d.name.trim(),
      server: d.server.trim(),
      slave_key: d.slaveKey,
      weight: Number(d.weight),
      status: d.status,
      settings,
      edges: {},
    };
  };

  const run = async (kind: 'node' | 'downloader') => {
    const e = problems(kind === 'downloader');
    setErrors(e);
    if (Object.keys(e).length) return notify(t('admin.common.fixErrors'), 'error');
    setTesting(true);
    try {
      if (kind === 'node') {
        await adminApi.testNode(payload());
        notify(t('admin.node.testOk'), 'success');
      } else {
        const version = await adminApi.testDownloader(payload());
        notify(t('admin.node.downloaderOk', { version: String(version) }), 'success');
      }
    } catch (ex) {
      notify(err(ex), 'error');
    } finally {
      setTesting(false);
    }
  };

  const field = (k: keyof Draft, label: string, extra: { secret?: boolean; multiline?: boolean; help?: string } = {}) => (
    <TextField
      label={label}
      value={d[k] as string}
      onChange={(e) => set(k, e.target.value as never)}
      error={Boolean(errors[k])}
      helperText={errors[k] ?? extra.help}
      type={extra.secret ? 'password' : 'text'}
      autoComplete={extra.secret ? 'new-password' : 'off'}
      multiline={extra.multiline}
      minRows={extra.multiline ? 2 : undefined}
      slotProps={{ htmlInput: { 'data-testid': `node-${k}` } }}
    />
  );

  return (
    <FormDialog
      open
      title={isNew ? t('admin.node.create') : t('admin.node.edit', { id: node.id })}
      testId="node-dialog"
      onClose={onClose}
      extraActions={
        <>
          {!master && <Button onClick={() => run('node')} disabled={testing} data-testid="node-test">{t('admin.node.test')}</Button>}
          {d.provider && <Button onClick={() => run('downloader')} disabled={testing} data-testid="node-test-downloader">{t('admin.node.testDownloader')}</Button>}
        </>
      }
      onSubmit={() => saveWith(problems(), () => adminApi.saveNode(payload()))}
    >
      <Stack spacing={2}>
        {master && <Alert severity="info">{t('admin.node.masterHint')}</Alert>}
        {field('name', t('admin.common.name'))}
        {!master && field('server', t('admin.node.server'), { help: 'https://node.example.com' })}
        {!master && field('slaveKey', t('admin.node.slaveKey'), { secret: true })}
        {field('weight', t('admin.node.weight'))}
        {!master && (
          <TextField select label={t('admin.common.status')} value={d.status} onChange={(e) => set('status', e.target.value as Draft['status'])}>
            <MenuItem value="active">{t('admin.node.status.active')}</MenuItem>
            <MenuItem value="suspended">{t('admin.node.status.suspended')}</MenuItem>
          </TextField>
        )}
        <Divider />
        <Typography variant="subtitle2">{t('admin.node.downloader')}</Typography>
        <TextField select label={t('admin.node.provider')} value={d.provider} onChange={(e) => set('provider', e.target.value as Draft['provider'])} slotProps={{ htmlInput: { 'data-testid': 'node-provider' }, select: { displayEmpty: true }, inputLabel: { shrink: true } }}>
          <MenuItem value="">{t('admin.node.provider.none')}</MenuItem>
          <MenuItem value="aria2">{t('admin.node.provider.aria2')}</MenuItem>
          <MenuItem value="qbittorrent">{t('admin.node.provider.qbittorrent')}</MenuItem>
        </TextField>
        {d.provider && (
          <>
            {field('rpcServer', t('admin.node.rpcServer'), { help: d.provider === 'aria2' ? 'http://127.0.0.1:6800/' : 'http://127.0.0.1:8080/' })}
            {d.provider === 'qbittorrent' && field('user', t('admin.node.qbUser'))}
            {field('secret', d.provider === 'aria2' ? t('admin.node.rpcToken') : t('admin.node.qbPassword'), { secret: true })}
            {field('tempPath', t('admin.node.tempPath'))}
            {field('options', t('admin.node.options'), { multiline: true })}
            {field('interval', t('admin.node.interval'))}
            <FormControlLabel control={<Switch checked={d.waitSeeding} onChange={(e) => set('waitSeeding', e.target.checked)} />} label={t('admin.node.waitSeeding')} />
          </>
        )}
      </Stack>
    </FormDialog>
  );
}

export default function Nodes() {
  const { t, err, language } = useAdminI18n();
  const [editing, setEditing] = useState<AdminNode | 'new' | null>(null);
  const [busy, setBusy] = useState(false);
  const [openError, setOpenError] = useState<string | undefined>();
  const [reloadKey, setReloadKey] = useState(0);
  const open = async (id: number) => {
    setBusy(true);
    setOpenError(undefined);
    try {
      setEditing(await adminApi.node(id));
    } catch (e) {
      setOpenError(err(e));
    } finally {
      setBusy(false);
    }
  };
  const columns: Column<AdminNode>[] = [
    { id: 'id', label: t('admin.common.id'), sort: 'id', render: (n) => n.id },
    { id: 'name', label: t('admin.common.name'), sort: 'name', render: (n) => n.name },
    { id: 'type', label: t('admin.common.type'), render: (n) => t(`admin.node.type.${n.type ?? 'slave'}` as AdminKey) },
    { id: 'status', label: t('admin.common.status'), render: (n) => <Chip size="small" variant="outlined" color={n.status === 'suspended' ? 'default' : 'success'} label={t(`admin.node.status.${n.status ?? 'active'}` as AdminKey)} /> },
    { id: 'server', label: t('admin.node.server'), render: (n) => n.server ?? '—', wide: true },
    { id: 'weight', label: t('admin.node.weight'), sort: 'weight', render: (n) => n.weight ?? 0, align: 'right', wide: true },
    { id: 'updated', label: t('admin.common.updated'), sort: 'updated_at', render: (n) => formatDate(n.updated_at ?? '', language), wide: true },
  ];
  return (
    <Box>
      <PageHeader title={t('admin.nav.nodes')}>
        <Button variant="contained" startIcon={<AddIcon />} onClick={() => setEditing('new')} data-testid="node-create">{t('admin.node.create')}</Button>
      </PageHeader>
      {busy && <LinearProgress sx={{ mb: 1 }} />}
      {openError && <Alert severity="error" sx={{ mb: 1 }}>{openError}</Alert>}
      <ResourceTable<AdminNode>
        testId="nodes-table"
        list={adminApi.nodes}
        reloadKey={reloadKey}
        defaultSort={{ by: 'id', dir: 'asc' }}
        columns={columns}
        filters={[{ key: 'node_status', label: t('admin.common.status'), kind: 'select', options: [{ value: 'active', label: t('admin.node.status.active') }, { value: 'suspended', label: t('admin.node.status.suspended') }] }]}
        rowName={(n) => n.name}
        onDelete={async (ids) => {
          for (const id of ids) await adminApi.deleteNode(id);
        }}
        rowActions={(n) => (
          <Tooltip title={t('admin.common.edit')}>
            <IconButton size="small" onClick={() => open(n.id)} aria-label={`${t('admin.common.edit')} #${n.id}`} data-testid={`edit-${n.id}`}><EditOutlinedIcon fontSize="small" /></IconButton>
          </Tooltip>
        )}
      />
      {editing && <NodeDialog node={editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); setReloadKey((n) => n + 1); }} />}
    </Box>
  );
}

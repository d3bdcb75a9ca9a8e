import { useState } from 'react';
import { Alert, Box, Button, FormControlLabel, IconButton, LinearProgress, MenuItem, Stack, Switch, TextField, Tooltip, Typography } from '@mui/material';
import AddIcon from '@mui/icons-material/Add';
import EditOutlinedIcon from '@mui/icons-material/EditOutlined';
import { useNotify } from '../../components/Notifier.tsx';
import { formatDate, formatSize } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n, type AdminKey } from '../i18n/index.ts';
import { BytesField, FormDialog, PageHeader, useSaveDialog } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import { useNodes } from '../components/useOptions.ts';
import { POLICY_TYPES, type AdminStoragePolicy, type PolicyType } from '../types.ts';

/** Types talking the S3 API (path/bucket/region/keys); CORS set-up is offered for these. */
const S3_LIKE: readonly PolicyType[] = ['s3', 'oss', 'cos', 'obs', 'ks3'];
const CORS_TYPES: readonly PolicyType[] = ['s3', 'oss', 'cos', 'obs'];
const KEYED: readonly PolicyType[] = [...S3_LIKE, 'qiniu', 'upyun', 'onedrive'];

type Policy = Partial<AdminStoragePolicy> & { type: PolicyType; settings: NonNullable<AdminStoragePolicy['settings']> };

function blank(type: PolicyType): Policy {
  return {
    name: '', type, max_size: 0, is_private: type !== 'local',
    dir_name_rule: type === 'local' ? '' : 'uploads/{uid}/{path}', file_name_rule: '{uid}_{randomkey8}_{originname}',
    settings: { chunk_size: type === 'local' ? 0 : 25 * 1024 ** 2, file_type: null, token: null, s3_path_style: type !== 's3', native_media_processing: false },
    edges: {},
  };
}

function PolicyDialog({ policy, onClose, onSaved }: { policy: AdminStoragePolicy | 'new'; onClose(): void; onSaved(): void }) {
  const { t, tx, err } = useAdminI18n();
  const notify = useNotify();
  const nodes = useNodes();
  const isNew = policy === 'new';
  const [p, setP] = useState<Policy>(() => (isNew ? blank('local') : { ...policy, settings: { ...policy.settings } } as Policy));
  const [exts, setExts] = useState(() => (isNew ? '' : (policy.settings?.file_type ?? []).join(',')));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const saveWith = useSaveDialog(setErrors, onSaved);
  const set = (patch: Partial<Policy>) => {
    setP((o) => ({ ...o, ...patch }));
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !(k in patch))));
  };
  const setS = (patch: Policy['settings']) => {
    setP((o) => ({ ...o, settings: { ...o.settings, ...patch } }));
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !(k in patch))));
  };
  const s3 = S3_LIKE.includes(p.type);
  const keyed = KEYED.includes(p.type);
  // Result of "Test connection" / CORS, shown in the dialog (provider messages are too long for a toast).
  const [check, setCheck] = useState<{ ok: boolean; text: string } | 'running' | undefined>();
  const checking = check === 'running';
  const runCheck = async (fn: () => Promise<string>) => {
    setCheck('running');
    try {
      setCheck({ ok: true, text: await fn() });
    } catch (e) {
      setCheck({ ok: false, text: err(e) });
    }
  };

  const problems = (): Record<string, string> => {
    const e: Record<string, string> = {};
    const req = t('admin.common.required');
    if (!p.name?.trim()) e.name = req;
    if (!Number.isFinite(p.max_size)) e.max_size = t('admin.common.mustBeInt');
    if (!Number.isFinite(p.settings.chunk_size ?? 0)) e.chunk_size = t('admin.common.mustBeInt');
    if (keyed) {
      if (!p.bucket_name?.trim() && p.type !== 'onedrive') e.bucket_name = req;
      if (!p.access_key?.trim()) e.access_key = req;
      if (!p.secret_key?.trim()) e.secret_key = req;
    }
    if (s3) {
      if (!p.server?.trim()) e.server = req;
      else {
        try {
          new URL(p.server.trim());
        } catch {
          e.server = t('admin.common.invalidUrl');
        }
      }
    }
    if (p.type === 'remote' && !p.node_id) e.node_id = t('admin.policy.nodeRequired');
    return e;
  };
  const payload = (): Policy => ({
    ...p,
    name: p.name?.trim(),
    server: p.server?.trim(),
    bucket_name: p.bucket_name?.trim(),
    settings: { ...p.settings, file_type: exts.split(',').map((x) => x.trim().replace(/^\./, '')).filter(Boolean) },
  });

  const text = (key: 'name' | 'server' | 'bucket_name' | 'access_key' | 'secret_key' | 'dir_name_rule' | 'file_name_rule', label: string, extra: { secret?: boolean; help?: string } = {}) => (
    <TextField
      label={label}
      value={p[key] ?? ''}
      onChange={(e) => set({ [key]: e.target.value })}
      error={Boolean(errors[key])}
      helperText={errors[key] ?? extra.help}
      type={extra.secret ? 'password' : 'text'}
      autoComplete={extra.secret ? 'new-password' : 'off'}
      slotProps={{ htmlInput: { 'data-testid': `policy-${key}` } }}
    />
  );
  const toggle = (checked: boolean, onChange: (v: boolean) => void, label: string, testId: string) => (
    <FormControlLabel control={<Switch checked={checked} onChange={(e) => onChange(e.target.checked)} slotProps={{ input: { 'data-testid': testId } as object }} />} label={label} />
  );

  return (
    <FormDialog
      open
      title={isNew ? t('admin.policy.create') : t('admin.policy.edit', { id: policy.id })}
      testId="policy-dialog"
      onClose={onClose}
      extraActions={(
        <>
          <Button disabled={checking} onClick={() => runCheck(async () => t('admin.policy.testOk', { summary: (await adminApi.testPolicy(payload())).summary }))} data-testid="policy-test">
            {t('admin.policy.test')}
          </Button>
          {CORS_TYPES.includes(p.type) && (
            <Button disabled={checking} onClick={() => runCheck(async () => {
              await adminApi.policyCors(payload());
              notify(t('admin.policy.corsDone'), 'success');
              return t('admin.policy.corsDone');
            })} data-testid="policy-cors">{t('admin.policy.cors')}</Button>
          )}
        </>
      )}
      onSubmit={() => saveWith(problems(), () => adminApi.savePolicy(payload()))}
    >
      <Stack spacing={2}>
        {checking && <LinearProgress aria-label={t('admin.policy.testing')} />}
        {check && check !== 'running' && (
          <Alert severity={check.ok ? 'success' : 'error'} onClose={() => setCheck(undefined)} data-testid="policy-test-result" sx={{ wordBreak: 'break-word' }}>{check.text}</Alert>
        )}
        {!isNew && policy.entities_count !== undefined && (
          <Typography variant="body2" color="text.secondary">{t('admin.policy.blobs', { count: policy.entities_count ?? 0, size: formatSize(policy.entities_size ?? 0) })}</Typography>
        )}
        <TextField
          select
          label={t('admin.common.type')}
          value={p.type}
          disabled={!isNew}
          helperText={t('admin.policy.typeHelp')}
          onChange={(e) => {
            const type = e.target.value as PolicyType;
            setP((o) => ({ ...blank(type), name: o.name }));
            setErrors({});
          }}
          slotProps={{ htmlInput: { 'data-testid': 'policy-type' } }}
        >
          {(isNew ? POLICY_TYPES : [p.type]).map((ty) => <MenuItem key={ty} value={ty}>{tx(`admin.policy.type.${ty}`, ty)}</MenuItem>)}
        </TextField>
        {text('name', t('admin.common.name'))}
        {p.type === 'remote' && (
          <TextField select label={t('admin.policy.node')} value={nodes.length ? p.node_id ?? '' : ''} onChange={(e) => set({ node_id: Number(e.target.value) })} error={Boolean(errors.node_id)} helperText={errors.node_id} slotProps={{ htmlInput: { 'data-testid': 'policy-node' } }}>
            {nodes.filter((n) => n.type !== 'master').map((n) => <MenuItem key={n.id} value={n.id}>{n.name}</MenuItem>)}
          </TextField>
        )}
        {(s3 || p.type === 'qiniu' || p.type === 'upyun') && text('server', t('admin.policy.server'), { help: s3 ? t('admin.policy.serverHelp') : undefined })}
        {keyed && p.type !== 'onedrive' && text('bucket_name', t('admin.policy.bucket'))}
        {s3 && (
          <TextField label={t('admin.policy.region')} value={p.settings.region ?? ''} onChange={(e) => setS({ region: e.target.value })} slotProps={{ htmlInput: { 'data-testid': 'policy-region' } }} />
        )}
        {keyed && text('access_key', t('admin.policy.accessKey'))}
        {keyed && text('secret_key', t('admin.policy.secretKey'), { secret: true })}
        {s3 && toggle(Boolean(p.settings.s3_path_style), (v) => setS({ s3_path_style: v }), t('admin.policy.pathStyle'), 'policy-path-style')}
        {p.type !== 'local' && toggle(Boolean(p.is_private), (v) => set({ is_private: v }), t('admin.policy.isPrivate'), 'policy-private')}
        {p.type !== 'local' && toggle(Boolean(p.settings.relay), (v) => setS({ relay: v }), t('admin.policy.relay'), 'policy-relay')}
        {p.type !== 'local' && toggle(Boolean(p.settings.custom_proxy), (v) => setS({ custom_proxy: v }), t('admin.policy.proxy'), 'policy-proxy')}
        <BytesField label={t('admin.policy.maxSize')} value={p.max_size ?? 0} onChange={(v) => set({ max_size: v })} error={Boolean(errors.max_size)} helperText={errors.max_size} testId="policy-max-size" />
        <BytesField label={t('admin.policy.chunkSize')} value={p.settings.chunk_size ?? 0} onChange={(v) => setS({ chunk_size: v })} error={Boolean(errors.chunk_size)} helperText={errors.chunk_size} testId="policy-chunk-size" />
        <TextField label={t('admin.policy.fileTypes')} value={exts} onChange={(e) => setExts(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'policy-exts' } }} />
        {toggle(Boolean(p.settings.is_file_type_deny_list), (v) => setS({ is_file_type_deny_list: v }), t('admin.policy.denyList'), 'policy-deny')}
        {p.type !== 'local' && text('dir_name_rule', t('admin.policy.dirRule'))}
        {text('file_name_rule', t('admin.policy.fileRule'))}
      </Stack>
    </FormDialog>
  );
}

export default function Policies() {
  const { t, tx, err, language } = useAdminI18n();
  const [editing, setEditing] = useState<AdminStoragePolicy | 'new' | null>(null);
  const [busy, setBusy] = useState(false);
  const [openError, setOpenError] = useState<string | undefined>();
  const [reloadKey, setReloadKey] = useState(0);
  const open = async (id: number) => {
    setBusy(true);
    setOpenError(undefined);
    try {
      setEditing(await adminApi.policy(id));
    } catch (e) {
      setOpenError(err(e));
    } finally {
      setBusy(false);
    }
  };
  const columns: Column<AdminStoragePolicy>[] = [
    { id: 'id', label: t('admin.common.id'), sort: 'id', render: (p) => p.id },
    { id: 'name', label: t('admin.common.name'), render: (p) => p.name },
    { id: 'type', label: t('admin.common.type'), render: (p) => tx(`admin.policy.type.${p.type}`, p.type) },
    { id: 'max', label: t('admin.policy.maxSize').split('(')[0]!.trim(), render: (p) => (p.max_size ? formatSize(p.max_size) : t('admin.common.unlimited')), wide: true },
    { id: 'updated', label: t('admin.common.updated'), sort: 'updated_at', render: (p) => formatDate(p.updated_at ?? '', language), wide: true },
  ];
  return (
    <Box>
      <PageHeader title={t('admin.nav.policies')}>
        <Button variant="contained" startIcon={<AddIcon />} onClick={() => setEditing('new')} data-testid="policy-create">{t('admin.policy.create')}</Button>
      </PageHeader>
      {busy && <LinearProgress sx={{ mb: 1 }} />}
      {openError && <Alert severity="error" sx={{ mb: 1 }}>{openError}</Alert>}
      <ResourceTable<AdminStoragePolicy>
        testId="policies-table"
        list={adminApi.policies}
        reloadKey={reloadKey}
        defaultSort={{ by: 'id', dir: 'asc' }}
        columns={columns}
        filters={[{ key: 'policy_type', label: t('admin.common.type'), kind: 'select', options: POLICY_TYPES.map((ty) => ({ value: ty, label: t(`admin.policy.type.${ty}` as AdminKey) })) }]}
        rowName={(p) => p.name}
        onDelete={async (ids) => {
          for (const id of ids) await adminApi.deletePolicy(id);
        }}
        rowActions={(p) => (
          <Tooltip title={t('admin.common.edit')}>
            <IconButton size="small" onClick={() => open(p.id)} aria-label={`${t('admin.common.edit')} #${p.id}`} data-testid={`edit-${p.id}`}><EditOutlinedIcon fontSize="small" /></IconButton>
          </Tooltip>
        )}
      />
      {editing && <PolicyDialog policy={editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); setReloadKey((n) => n + 1); }} />}
    </Box>
  );
}

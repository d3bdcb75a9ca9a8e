import { useState } from 'react';
import { Alert, Box, Button, Chip, FormControlLabel, IconButton, LinearProgress, MenuItem, Stack, Switch, TextField, Tooltip } from '@mui/material';
import AddIcon from '@mui/icons-material/Add';
import BlockIcon from '@mui/icons-material/Block';
import CheckCircleOutlineIcon from '@mui/icons-material/CheckCircleOutlined';
import EditOutlinedIcon from '@mui/icons-material/EditOutlined';
import CalculateOutlinedIcon from '@mui/icons-material/CalculateOutlined';
import { useNotify } from '../../components/Notifier.tsx';
import { formatDate, formatSize } from '../../util/format.ts';
import { adminApi } from '../api.ts';
import { useAdminI18n, type AdminKey } from '../i18n/index.ts';
import { Details, FormDialog, PageHeader, RawJson, useSaveDialog } from '../components/common.tsx';
import { ResourceTable, type Column } from '../components/ResourceTable.tsx';
import { useGroups } from '../components/useOptions.ts';
import { USER_STATUSES, type AdminUser, type UserStatus } from '../types.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface Draft { id: number; email: string; nick: string; status: UserStatus; group: number; password: string; disable2fa: boolean }

function UserDialog({ user, onClose, onSaved }: { user: AdminUser | 'new'; onClose(): void; onSaved(): void }) {
  const { t, language } = useAdminI18n();
  const groups = useGroups();
  const isNew = user === 'new';
  const [d, setD] = useState<Draft>(() => isNew
    ? { id: 0, email: '', nick: '', status: 'active', group: 2, password: '', disable2fa: false }
    : { id: user.id, email: user.email ?? '', nick: user.nick ?? '', status: user.status ?? 'active', group: user.group_users ?? 2, password: '', disable2fa: false });
  const [errors, setErrors] = useState<Partial<Record<keyof Draft, string>>>({});
  const saveWith = useSaveDialog(setErrors, onSaved);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setD((o) => ({ ...o, [k]: v }));
    setErrors(({ [k]: _, ...rest }) => rest);
  };
  return (
    <FormDialog
      open
      title={isNew ? t('admin.user.create') : t('admin.user.edit', { id: user.id })}
      testId="user-dialog"
      onClose={onClose}
      onSubmit={async () => {
        const problems: typeof errors = {};
        if (!EMAIL.test(d.email.trim())) problems.email = t('admin.common.invalidEmail');
        if (!d.nick.trim()) problems.nick = t('admin.common.required');
        if ((isNew || d.password) && (d.password.length < 6 || d.password.length > 128)) problems.password = t('admin.user.passwordLength');
        return saveWith(problems, () => adminApi.saveUser({ id: d.id || undefined, email: d.email.trim(), nick: d.nick.trim(), status: d.status, group_users: d.group, avatar: isNew ? undefined : user.avatar }, d.password, d.disable2fa));
      }}
    >
      <Stack spacing={2}>
        {!isNew && (
          <Details rows={[
            [t('admin.common.id'), `${user.id} (${user.hash_id ?? ''})`],
            [t('admin.user.capacity'), user.capacity ? `${formatSize(user.capacity.used)} / ${formatSize(user.capacity.total)}` : formatSize(user.storage ?? 0)],
            [t('admin.common.created'), formatDate(user.created_at ?? '', language)],
          ]} />
        )}
        <TextField label={t('admin.user.email')} value={d.email} onChange={(e) => set('email', e.target.value)} error={Boolean(errors.email)} helperText={errors.email} slotProps={{ htmlInput: { 'data-testid': 'user-email' } }} />
        <TextField label={t('admin.user.nick')} value={d.nick} onChange={(e) => set('nick', e.target.value)} error={Boolean(errors.nick)} helperText={errors.nick} slotProps={{ htmlInput: { 'data-testid': 'user-nick', maxLength: 50 } }} />
        <TextField
          label={isNew ? t('admin.user.password') : t('admin.user.passwordKeep')}
          type="password"
          autoComplete="new-password"
          value={d.password}
          onChange={(e) => set('password', e.target.value)}
          error={Boolean(errors.password)}
          helperText={errors.password}
          slotProps={{ htmlInput: { 'data-testid': 'user-password' } }}
        />
        <TextField select label={t('admin.user.group')} value={groups.length ? d.group : ''} onChange={(e) => set('group', Number(e.target.value))} slotProps={{ htmlInput: { 'data-testid': 'user-group' } }}>
          {groups.filter((g) => g.id !== 3).map((g) => <MenuItem key={g.id} value={g.id}>{g.name}</MenuItem>)}
        </TextField>
        <TextField select label={t('admin.common.status')} value={d.status} onChange={(e) => set('status', e.target.value as UserStatus)} slotProps={{ htmlInput: { 'data-testid': 'user-status' } }}>
          {USER_STATUSES.map((s) => <MenuItem key={s} value={s}>{t(`admin.status.${s}` as AdminKey)}</MenuItem>)}
        </TextField>
        {!isNew && user.two_fa_enabled && (
          <FormControlLabel control={<Switch checked={d.disable2fa} onChange={(e) => set('disable2fa', e.target.checked)} />} label={t('admin.user.disable2fa')} />
        )}
        {!isNew && <RawJson value={user} />}
      </Stack>
    </FormDialog>
  );
}

function StatusChip({ status }: { status?: UserStatus }) {
  const { t } = useAdminI18n();
  const s = status ?? 'active';
  return <Chip size="small" label={t(`admin.status.${s}` as AdminKey)} color={s === 'active' ? 'success' : s === 'inactive' ? 'default' : 'error'} variant="outlined" />;
}

export default function Users() {
  const { t, err, language } = useAdminI18n();
  const notify = useNotify();
  const groups = useGroups();
  const [editing, setEditing] = useState<AdminUser | 'new' | null>(null);
  const [loadingUser, setLoadingUser] = useState(false);
  const [openError, setOpenError] = useState<string | undefined>();
  const [reloadKey, setReloadKey] = useState(0);

  const open = async (id: number) => {
    setLoadingUser(true);
    setOpenError(undefined);
    try {
      setEditing(await adminApi.user(id));
    } catch (e) {
      setOpenError(err(e));
    } finally {
      setLoadingUser(false);
    }
  };

  const columns: Column<AdminUser>[] = [
    { id: 'id', label: t('admin.common.id'), sort: 'id', render: (u) => u.id },
    { id: 'nick', label: t('admin.user.nick'), sort: 'nick', render: (u) => u.nick },
    { id: 'email', label: t('admin.user.email'), sort: 'email', render: (u) => u.email },
    { id: 'group', label: t('admin.user.group'), render: (u) => u.edges.group?.name ?? u.group_users, wide: true },
    { id: 'status', label: t('admin.common.status'), render: (u) => <StatusChip status={u.status} /> },
    { id: 'storage', label: t('admin.user.storage'), sort: 'storage', render: (u) => formatSize(u.storage ?? 0), align: 'right', wide: true },
    { id: 'updated', label: t('admin.common.updated'), sort: 'updated_at', render: (u) => formatDate(u.updated_at ?? '', language), wide: true },
  ];

  return (
    <Box>
      <PageHeader title={t('admin.nav.users')}>
        <Button variant="contained" startIcon={<AddIcon />} onClick={() => setEditing('new')} data-testid="user-create">{t('admin.user.create')}</Button>
      </PageHeader>
      {loadingUser && <LinearProgress sx={{ mb: 1 }} />}
      {openError && <Alert severity="error" sx={{ mb: 1 }}>{openError}</Alert>}
      <ResourceTable<AdminUser>
        testId="users-table"
        list={adminApi.users}
        reloadKey={reloadKey}
        columns={columns}
        filters={[
          { key: 'user_nick', label: t('admin.user.searchNick'), kind: 'text' },
          { key: 'user_email', label: t('admin.user.searchEmail'), kind: 'text' },
          { key: 'user_group', label: t('admin.user.group'), kind: 'select', options: groups.map((g) => ({ value: String(g.id), label: g.name })) },
          { key: 'user_status', label: t('admin.common.status'), kind: 'select', options: USER_STATUSES.map((s) => ({ value: s, label: t(`admin.status.${s}` as AdminKey) })) },
        ]}
        rowName={(u) => u.nick || u.email || `#${u.id}`}
        onDelete={(ids) => adminApi.deleteUsers(ids)}
        rowActions={(u, reload) => {
          const banned = u.status === 'manual_banned' || u.status === 'sys_banned';
          return (
            <>
              <Tooltip title={t('admin.common.edit')}>
                <IconButton size="small" onClick={() => open(u.id)} aria-label={`${t('admin.common.edit')} #${u.id}`} data-testid={`edit-${u.id}`}><EditOutlinedIcon fontSize="small" /></IconButton>
              </Tooltip>
              <Tooltip title={banned ? t('admin.user.unban') : t('admin.user.ban')}>
                <IconButton
                  size="small"
                  aria-label={`${banned ? t('admin.user.unban') : t('admin.user.ban')} #${u.id}`}
                  data-testid={`ban-${u.id}`}
                  onClick={async () => {
                    try {
                      await adminApi.saveUser({ id: u.id, email: u.email, nick: u.nick, avatar: u.avatar, group_users: u.group_users, status: banned ? 'active' : 'manual_banned' });
                      notify(t(banned ? 'admin.user.unbanned' : 'admin.user.banned', { name: u.nick ?? u.email ?? '' }), 'success');
                      reload();
                    } catch (e) {
                      notify(err(e), 'error');
                    }
                  }}
                >
                  {banned ? <CheckCircleOutlineIcon fontSize="small" /> : <BlockIcon fontSize="small" />}
                </IconButton>
              </Tooltip>
              <Tooltip title={t('admin.user.calibrate')}>
                <IconButton
                  size="small"
                  aria-label={`${t('admin.user.calibrate')} #${u.id}`}
                  data-testid={`calibrate-${u.id}`}
                  onClick={async () => {
                    try {
                      const fresh = await adminApi.calibrateUser(u.id);
                      notify(t('admin.user.calibrated', { name: u.nick ?? '', size: formatSize(fresh.storage ?? 0) }), 'success');
                      reload();
                    } catch (e) {
                      notify(err(e), 'error');
                    }
                  }}
                >
                  <CalculateOutlinedIcon fontSize="small" />
                </IconButton>
              </Tooltip>
            </>
          );
        }}
      />
      {editing && <UserDialog user={editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); setReloadKey((n) => n + 1); }} />}
    </Box>
  );
}

import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Link as RouterLink, Outlet, useLocation, useNavigate, useSearchParams } from 'react-router';
import {
  AppBar, Avatar, Box, Divider, Drawer, IconButton, LinearProgress, List, ListItem, ListItemButton, ListItemIcon,
  ListItemText, Menu, MenuItem, Toolbar, Tooltip, Typography, useMediaQuery, useTheme,
} from '@mui/material';
import MenuIcon from '@mui/icons-material/Menu';
import FolderOutlinedIcon from '@mui/icons-material/FolderOutlined';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlineOutlined';
import LogoutIcon from '@mui/icons-material/Logout';
import AdminPanelSettingsOutlinedIcon from '@mui/icons-material/AdminPanelSettingsOutlined';
import ShareOutlinedIcon from '@mui/icons-material/ShareOutlined';
import SettingsOutlinedIcon from '@mui/icons-material/SettingsOutlined';
import CloudOutlinedIcon from '@mui/icons-material/CloudOutlined';
import TaskAltIcon from '@mui/icons-material/TaskAlt';
import type { Capacity } from '@cloudreve-ts/protocol';
import { api } from '../api/client.ts';
import { user as userApi } from '../api/endpoints.ts';
import { useSession } from '../auth/session.ts';
import { useI18n } from '../i18n/index.tsx';
import { formatSize } from '../util/format.ts';
import { MY_ROOT, TRASH_ROOT, parseUri } from '../util/uri.ts';
import { useUploadQueue } from '../upload/UploadProvider.tsx';
import { onStorageChanged } from '../events.ts';
import { LanguageMenu } from './LanguageMenu.tsx';
import { isAdmin } from '../admin/access.tsx';
import { useNotify } from './Notifier.tsx';
import { Logo } from './Logo.tsx';
import { useTasksMenuText } from '../tasks/i18n/menu.ts';

const DRAWER_WIDTH = 248;

function useCapacity(): Capacity | null {
  const [capacity, setCapacity] = useState<Capacity | null>(null);
  const queue = useUploadQueue();
  const load = useCallback(() => {
    userApi.capacity().then(setCapacity).catch(() => undefined);
  }, []);
  useEffect(() => {
    load();
    const offUpload = queue.onFinished(load);
    const offChange = onStorageChanged(load);
    return () => {
      offUpload();
      offChange();
    };
  }, [load, queue]);
  return capacity;
}

function NavItem({ to, icon, label, selected, testId }: { to: string; icon: ReactNode; label: string; selected: boolean; testId: string }) {
  return (
    <ListItem disablePadding>
      <ListItemButton component={RouterLink} to={to} selected={selected} aria-current={selected ? 'page' : undefined} data-testid={testId} sx={{ mb: 0.5, py: 1 }}>
        <ListItemIcon sx={{ minWidth: 40, color: selected ? 'primary.main' : undefined }}>{icon}</ListItemIcon>
        <ListItemText primary={label} slotProps={{ primary: { sx: { fontWeight: selected ? 650 : 500 } } }} />
      </ListItemButton>
    </ListItem>
  );
}

/** Shown only to administrators (group permission bit 0). */
function AdminNav() {
  const { t } = useI18n();
  const session = useSession();
  const { pathname } = useLocation();
  if (!isAdmin(session?.user)) return null;
  return <NavItem to="/admin" icon={<AdminPanelSettingsOutlinedIcon />} label={t('nav.admin')} selected={pathname.startsWith('/admin')} testId="nav-admin" />;
}

function Sidebar({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const capacity = useCapacity();
  const taskText = useTasksMenuText();
  const { pathname } = useLocation();
  const fs = pathname === '/home' ? parseUri(params.get('path') ?? MY_ROOT)?.fs ?? 'my' : '';
  const usedPercent = capacity && capacity.total > 0 ? Math.min(100, (capacity.used / capacity.total) * 100) : 0;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height: '100%', p: 1.5 }} onClick={onNavigate}>
      <Box component="nav" aria-label={t('nav.main')}>
        <List disablePadding>
          <NavItem to="/home" icon={<FolderOutlinedIcon />} label={t('nav.myFiles')} selected={fs === 'my'} testId="nav-my" />
          <NavItem to={`/home?path=${encodeURIComponent(TRASH_ROOT)}`} icon={<DeleteOutlineIcon />} label={t('nav.trash')} selected={fs === 'trash'} testId="nav-trash" />
          <NavItem to="/tasks" icon={<TaskAltIcon />} label={taskText('nav.tasks')} selected={pathname === '/tasks'} testId="nav-tasks" />
          <NavItem to="/shares" icon={<ShareOutlinedIcon />} label={t('nav.shares')} selected={pathname === '/shares'} testId="nav-shares" />
          <NavItem to="/settings" icon={<SettingsOutlinedIcon />} label={t('nav.settings')} selected={pathname === '/settings'} testId="nav-settings" />
          <AdminNav />
        </List>
      </Box>
      <Box sx={{ flex: 1 }} />
      {capacity && (
        <Box sx={{ p: 1.5, borderRadius: 2, bgcolor: 'action.hover' }} data-testid="capacity">
          <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 1 }}>
            <CloudOutlinedIcon fontSize="small" color="action" />
            <Typography variant="body2" sx={{ fontWeight: 600 }}>{t('nav.storage')}</Typography>
          </Box>
          <LinearProgress variant="determinate" value={Math.round(usedPercent * 10) / 10} aria-label={t('nav.storage')} color={usedPercent > 90 ? 'error' : 'primary'} sx={{ height: 6, borderRadius: 3, mb: 1 }} />
          <Typography variant="caption" color="text.secondary">
            {t('nav.storageUsed', { used: formatSize(capacity.used), total: formatSize(capacity.total) })}
          </Typography>
        </Box>
      )}
    </Box>
  );
}

function UserMenu() {
  const { t } = useI18n();
  const notify = useNotify();
  const navigate = useNavigate();
  const session = useSession();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  if (!session) return null;
  const { user } = session;
  const initial = (user.nickname || user.email || '?').slice(0, 1).toUpperCase();
  return (
    <>
      <Tooltip title={t('user.menu')}>
        <IconButton onClick={(e) => setAnchor(e.currentTarget)} aria-label={t('user.menu')} data-testid="user-menu-button" sx={{ ml: 0.5 }}>
          <Avatar src={user.avatar ? `/api/v4/user/avatar/${user.id}` : undefined} sx={{ width: 34, height: 34, bgcolor: 'primary.main', fontSize: 16 }}>
            {initial}
          </Avatar>
        </IconButton>
      </Tooltip>
      <Menu anchorEl={anchor} open={Boolean(anchor)} onClose={() => setAnchor(null)} anchorOrigin={{ vertical: 'bottom', horizontal: 'right' }} transformOrigin={{ vertical: 'top', horizontal: 'right' }}>
        <Box sx={{ px: 2, py: 1, minWidth: 220 }}>
          <Typography variant="subtitle2" noWrap>{user.nickname}</Typography>
          <Typography variant="body2" color="text.secondary" noWrap data-testid="user-email">{user.email}</Typography>
        </Box>
        <Divider />
        <MenuItem component={RouterLink} to="/settings" onClick={() => setAnchor(null)} data-testid="menu-settings">
          <ListItemIcon><SettingsOutlinedIcon fontSize="small" /></ListItemIcon>
          {t('nav.settings')}
        </MenuItem>
        <MenuItem
          onClick={async () => {
            setAnchor(null);
            await api.signOut();
            // After the session is gone, so this replaces the sign-in redirect of the page left.
            navigate('/session', { replace: true });
            notify(t('auth.signedOut'), 'success');
          }}
          data-testid="sign-out"
        >
          <ListItemIcon><LogoutIcon fontSize="small" /></ListItemIcon>
          {t('user.signOut')}
        </MenuItem>
      </Menu>
    </>
  );
}

/** Top bar, navigation drawer (permanent on wide screens) and the page. */
export function AppShell() {
  const { t } = useI18n();
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up('md'));
  const [open, setOpen] = useState(false);
  return (
    <Box sx={{ display: 'flex', height: '100dvh', bgcolor: 'background.default' }}>
      <AppBar position="fixed" sx={{ zIndex: (th) => th.zIndex.drawer + 1, borderBottom: 1, borderColor: 'divider', bgcolor: 'background.paper' }}>
        <Toolbar sx={{ gap: 1 }}>
          {!wide && (
            <IconButton edge="start" onClick={() => setOpen(true)} aria-label={t('nav.openMenu')}>
              <MenuIcon />
            </IconButton>
          )}
          <Box component={RouterLink} to="/home" sx={{ color: 'inherit', textDecoration: 'none' }}>
            <Logo size={30} />
          </Box>
          <Box sx={{ flex: 1 }} />
          <LanguageMenu compact={!wide} />
          <UserMenu />
        </Toolbar>
      </AppBar>
      <Drawer
        variant={wide ? 'permanent' : 'temporary'}
        open={wide || open}
        onClose={() => setOpen(false)}
        sx={{ width: DRAWER_WIDTH, flexShrink: 0, '& .MuiDrawer-paper': { width: DRAWER_WIDTH, boxSizing: 'border-box', borderRight: wide ? 1 : 0, borderColor: 'divider', bgcolor: 'background.paper' } }}
      >
        <Toolbar />
        <Sidebar onNavigate={wide ? undefined : () => setOpen(false)} />
      </Drawer>
      <Box component="main" sx={{ flex: 1, minWidth: 0, display: 'flex', flexDirection: 'column' }}>
        <Toolbar />
        <Box sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column' }}>
          <Outlet />
        </Box>
      </Box>
    </Box>
  );
}

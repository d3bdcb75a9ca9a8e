import { useEffect, useMemo, useState } from 'react';
import { Link as RouterLink } from 'react-router';
import {
  Alert, Box, Button, Checkbox, Chip, Collapse, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, LinearProgress, Link,
  List, ListItem, ListItemIcon, ListItemText, Paper, Stack, Typography, type ChipProps,
} from '@mui/material';
import ArchiveOutlinedIcon from '@mui/icons-material/ArchiveOutlined';
import UnarchiveOutlinedIcon from '@mui/icons-material/UnarchiveOutlined';
import CloudDownloadOutlinedIcon from '@mui/icons-material/CloudDownloadOutlined';
import TaskAltIcon from '@mui/icons-material/TaskAlt';
import FolderOpenOutlinedIcon from '@mui/icons-material/FolderOpenOutlined';
import CancelOutlinedIcon from '@mui/icons-material/CancelOutlined';
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import ExpandLessIcon from '@mui/icons-material/ExpandLess';
import { useNotify } from '../components/Notifier.tsx';
import { formatDate, formatSize } from '../util/format.ts';
import { baseName } from '../util/uri.ts';
import { isActive, workflow, type DownloadFile, type ProgressMap, type Task } from './api.ts';
import { useTasksI18n } from './i18n/index.ts';
import { formatDuration } from './format.ts';
import { explorerLink, folderOf, uriToPath } from './paths.ts';

const PROGRESS_MS = 2000;

const STATUS_COLOR: Record<string, ChipProps['color']> = {
  queued: 'default', processing: 'primary', suspending: 'info', error: 'error', canceled: 'default', completed: 'success',
};

const ICONS: Record<string, typeof TaskAltIcon> = {
  create_archive: ArchiveOutlinedIcon, extract_archive: UnarchiveOutlinedIcon, remote_download: CloudDownloadOutlinedIcon,
};

/** In-memory progress of a running task (GET /workflow/progress/:id every 2 s while visible). */
function useProgress(id: string, running: boolean): ProgressMap {
  const [progress, setProgress] = useState<ProgressMap>({});
  useEffect(() => {
    if (!running) return;
    let stop = false;
    const poll = () => {
      if (document.visibilityState !== 'visible') return;
      workflow.progress(id).then((p) => !stop && setProgress(p ?? {}), () => undefined);
    };
    poll();
    const timer = setInterval(poll, PROGRESS_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [id, running]);
  return running ? progress : {};
}

/** What a task is about, in a few words. */
function titleOf(task: Task): string {
  const p = task.summary?.props ?? {};
  if (task.type === 'remote_download') return p.download?.name || p.src_str || baseName(p.src ?? '') || task.id;
  if (task.type === 'create_archive') return baseName(p.dst ?? '') || task.id;
  if (task.type === 'extract_archive') return baseName(p.src ?? '') || task.id;
  return task.id;
}

const SIZE_KEYS = new Set(['archive_size', 'upload', 'extract_size', 'download']);

function Bar({ label, current, total, sizes, testId }: { label: string; current: number; total: number; sizes: boolean; testId?: string }) {
  const { t } = useTasksI18n();
  const pct = total > 0 ? Math.min(100, (current / total) * 100) : 0;
  const fmt = (n: number) => (sizes ? formatSize(n) : String(n));
  return (
    <Box data-testid={testId}>
      <Box sx={{ display: 'flex', justifyContent: 'space-between', gap: 1, mb: 0.5 }}>
        <Typography variant="caption" color="text.secondary" noWrap>{label}</Typography>
        <Typography variant="caption" color="text.secondary" sx={{ flexShrink: 0 }}>{t('tasks.countOf', { done: fmt(current), total: fmt(total) })}</Typography>
      </Box>
      <LinearProgress variant={total > 0 ? 'determinate' : 'indeterminate'} value={pct} sx={{ height: 6, borderRadius: 3 }} aria-label={label} />
    </Box>
  );
}

/** The torrent's files with checkboxes; the choice can be sent while the task is downloading. */
function TorrentFiles({ task, files, editable, onSaved }: { task: Task; files: DownloadFile[]; editable: boolean; onSaved(): void }) {
  const { t, err } = useTasksI18n();
  const notify = useNotify();
  const [choice, setChoice] = useState<Record<number, boolean>>({});
  const [busy, setBusy] = useState(false);
  const selected = (f: DownloadFile) => choice[f.index] ?? f.selected;
  const changed = files.some((f) => selected(f) !== f.selected);
  const none = files.every((f) => !selected(f));
  return (
    <Box data-testid="torrent-files">
      {editable && <Typography variant="body2" color="text.secondary" sx={{ mb: 0.5 }}>{t('tasks.selectHint')}</Typography>}
      <List dense disablePadding sx={{ maxHeight: 280, overflow: 'auto', border: 1, borderColor: 'divider', borderRadius: 1 }}>
        {files.map((f) => (
          <ListItem key={f.index} disablePadding sx={{ pr: 1.5 }} data-testid="torrent-file" data-name={f.name}>
            <ListItemIcon sx={{ minWidth: 40 }}>
              <Checkbox
                edge="end"
                size="small"
                checked={selected(f)}
                disabled={!editable || busy}
                onChange={(e) => setChoice((c) => ({ ...c, [f.index]: e.target.checked }))}
                slotProps={{ input: { 'aria-label': t('tasks.fileSelect', { name: f.name }) } }}
              />
            </ListItemIcon>
            <ListItemText
              primary={f.name}
              secondary={`${formatSize(f.size)} · ${Math.round(f.progress * 100)}%`}
              slotProps={{ primary: { sx: { overflowWrap: 'anywhere' } } }}
            />
          </ListItem>
        ))}
      </List>
      {editable && (
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mt: 1 }}>
          <Button
            size="small"
            variant="contained"
            disabled={!changed || none || busy}
            data-testid="torrent-apply"
            onClick={async () => {
              setBusy(true);
              try {
                await workflow.selectFiles(task.id, files.map((f) => ({ index: f.index, download: selected(f) })));
                notify(t('tasks.selectionSaved'), 'success');
                setChoice({});
                onSaved();
              } catch (e) {
                notify(err(e, 'download'), 'error');
              } finally {
                setBusy(false);
              }
            }}
          >
            {t('tasks.applySelection')}
          </Button>
          {none && <Typography variant="caption" color="error">{t('tasks.selectAtLeastOne')}</Typography>}
        </Box>
      )}
    </Box>
  );
}

export interface TaskCardProps {
  task: Task;
  /** The list should be fetched again (after a cancel or a selection). */
  onChanged(): void;
}

/** One task: what, where, status, live progress, errors, and its actions. */
export function TaskCard({ task, onChanged }: TaskCardProps) {
  const { t, tp, tx, err, language } = useTasksI18n();
  const notify = useNotify();
  const active = isActive(task);
  const progress = useProgress(task.id, active);
  const [showFiles, setShowFiles] = useState(false);
  const [showHistory, setShowHistory] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const props = task.summary?.props ?? {};
  const phase = task.summary?.phase ?? '';
  const download = props.download ?? undefined;
  const Icon = ICONS[task.type] ?? TaskAltIcon;
  const title = titleOf(task);
  const zh = language === 'zh-CN';

  const dstFolder = props.dst ? folderOf(props.dst, task.type === 'create_archive') : undefined;
  const from = task.type === 'create_archive'
    ? (props.src_multiple?.length === 1 ? uriToPath(props.src_multiple[0]!) : tp('tasks.items', props.src_multiple?.length ?? 0))
    : task.type === 'remote_download' ? (props.src_str || (props.src ? uriToPath(props.src) : ''))
      : props.src ? uriToPath(props.src) : '';

  const bars = useMemo(() => Object.entries(progress)
    .filter(([key]) => !key.startsWith('upload_single_'))
    .sort(([a], [b]) => a.localeCompare(b)), [progress]);
  const single = Object.entries(progress).find(([key, p]) => key.startsWith('upload_single_') && p.current < p.total);

  const meta = [
    t('tasks.created', { time: formatDate(task.created_at, language) }),
    task.duration ? t('tasks.took', { time: formatDuration(task.duration, zh) }) : '',
    task.retry_count ? tp('tasks.retries', task.retry_count) : '',
    active && task.resume_time && task.status === 'suspending' && !download ? t('tasks.nextTry', { time: formatDate(task.resume_time * 1000, language) }) : '',
  ].filter(Boolean).join(' · ');

  const files = download?.files ?? [];
  const editable = active && phase === 'monitor';

  return (
    <Paper variant="outlined" sx={{ p: { xs: 1.5, sm: 2 }, borderRadius: 2 }} data-testid="task-card" data-task-id={task.id} data-type={task.type} data-status={task.status}>
      <Box sx={{ display: 'flex', gap: 1.5, alignItems: 'flex-start' }}>
        <Box sx={{ width: 40, height: 40, borderRadius: 2, bgcolor: 'action.hover', display: 'flex', alignItems: 'center', justifyContent: 'center', flexShrink: 0 }}>
          <Icon color={task.status === 'error' ? 'error' : 'primary'} />
        </Box>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
            <Typography variant="subtitle1" sx={{ fontWeight: 600, minWidth: 0, overflowWrap: 'anywhere', lineHeight: 1.3 }} data-testid="task-title">{title}</Typography>
            <Chip size="small" label={tx(`tasks.status.${task.status}`, task.status)} color={STATUS_COLOR[task.status] ?? 'default'} variant={active ? 'outlined' : 'filled'} data-testid="task-status" />
          </Box>
          <Typography variant="body2" color="text.secondary" sx={{ mt: 0.25 }}>
            {tx(`tasks.type.${task.type}`, t('tasks.type.other'))}
            {active && phase ? ` · ${tx(`tasks.phase.${phase}`, phase)}` : ''}
          </Typography>
          <Typography variant="caption" color="text.secondary" component="div">{meta}</Typography>

          <Box component="dl" sx={{ m: 0, mt: 1, display: 'grid', gridTemplateColumns: 'auto 1fr', columnGap: 1.5, rowGap: 0.25, typography: 'body2' }}>
            {from && (
              <>
                <Box component="dt" sx={{ color: 'text.secondary' }}>{t('tasks.from')}</Box>
                <Box component="dd" sx={{ m: 0, minWidth: 0, overflowWrap: 'anywhere' }} data-testid="task-from">{from}</Box>
              </>
            )}
            {props.dst && (
              <>
                <Box component="dt" sx={{ color: 'text.secondary' }}>{t('tasks.to')}</Box>
                <Box component="dd" sx={{ m: 0, minWidth: 0, overflowWrap: 'anywhere' }} data-testid="task-to">
                  <Link component={RouterLink} to={explorerLink(dstFolder!)} underline="hover">{uriToPath(props.dst)}</Link>
                </Box>
              </>
            )}
          </Box>

          {task.type === 'remote_download' && download && active && phase !== 'transfer' && (
            <Box sx={{ mt: 1.5 }} data-testid="task-download">
              <Box sx={{ display: 'flex', justifyContent: 'space-between', gap: 1, mb: 0.5, flexWrap: 'wrap' }}>
                <Typography variant="caption" color="text.secondary">
                  {download.total > 0 ? t('tasks.bytes', { done: formatSize(download.downloaded), total: formatSize(download.total) }) : t('tasks.waitingMeta')}
                </Typography>
                <Typography variant="caption" color="text.secondary" data-testid="task-speed">{t('tasks.speed', { speed: formatSize(download.download_speed) })}</Typography>
              </Box>
              <LinearProgress
                variant={download.total > 0 ? 'determinate' : 'indeterminate'}
                value={download.total > 0 ? Math.min(100, (download.downloaded / download.total) * 100) : 0}
                sx={{ height: 6, borderRadius: 3 }}
                aria-label={t('tasks.phase.monitor')}
              />
            </Box>
          )}
          {active && task.type === 'remote_download' && !download && phase !== 'transfer' && (
            <LinearProgress sx={{ mt: 1.5, height: 6, borderRadius: 3 }} aria-label={t('tasks.waitingMeta')} />
          )}
          {bars.length > 0 && (
            <Stack spacing={1} sx={{ mt: 1.5 }} data-testid="task-progress">
              {bars.map(([key, p]) => (
                <Bar key={key} label={tx(`tasks.progress.${key}`, key)} current={p.current} total={p.total} sizes={SIZE_KEYS.has(key)} />
              ))}
              {single && <Typography variant="caption" color="text.secondary" noWrap>{t('tasks.progress.single', { name: uriToPath(single[1].identifier) })}</Typography>}
            </Stack>
          )}

          {props.failed ? <Typography variant="body2" color="warning.main" sx={{ mt: 1 }}>{tp('tasks.failedFiles', props.failed)}</Typography> : null}
          {task.error && (
            <Alert severity={task.status === 'error' ? 'error' : 'warning'} sx={{ mt: 1.5, overflowWrap: 'anywhere' }} data-testid="task-error">
              {task.error}
              {download?.error_message && download.error_message !== task.error ? ` (${download.error_message})` : ''}
            </Alert>
          )}
          {task.error_history && task.error_history.length > 1 && (
            <Box sx={{ mt: 0.5 }}>
              <Button size="small" onClick={() => setShowHistory((v) => !v)} endIcon={showHistory ? <ExpandLessIcon /> : <ExpandMoreIcon />}>{t('tasks.errorHistory')}</Button>
              <Collapse in={showHistory} unmountOnExit>
                <Box component="ol" sx={{ m: 0, pl: 3, typography: 'caption', color: 'text.secondary' }}>
                  {task.error_history.map((e, i) => <li key={i} style={{ overflowWrap: 'anywhere' }}>{e}</li>)}
                </Box>
              </Collapse>
            </Box>
          )}

          <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, mt: 1.5 }}>
            {dstFolder && (
              <Button size="small" variant="outlined" startIcon={<FolderOpenOutlinedIcon />} component={RouterLink} to={explorerLink(dstFolder)} data-testid="task-open-folder">
                {t('tasks.openFolder')}
              </Button>
            )}
            {files.length > 0 && (
              <Button size="small" onClick={() => setShowFiles((v) => !v)} endIcon={showFiles ? <ExpandLessIcon /> : <ExpandMoreIcon />} aria-expanded={showFiles} data-testid="task-files-toggle">
                {t('tasks.files', { count: files.length })}
              </Button>
            )}
            {task.type === 'remote_download' && active && (
              <Button size="small" color="error" startIcon={<CancelOutlinedIcon />} onClick={() => setConfirmCancel(true)} data-testid="task-cancel">
                {t('tasks.cancel')}
              </Button>
            )}
          </Box>
          {files.length > 0 && (
            <Collapse in={showFiles} unmountOnExit>
              <Box sx={{ mt: 1.5 }}>
                <TorrentFiles task={task} files={files} editable={editable} onSaved={onChanged} />
              </Box>
            </Collapse>
          )}
        </Box>
      </Box>

      <Dialog open={confirmCancel} onClose={() => setConfirmCancel(false)} maxWidth="xs" fullWidth aria-labelledby={`task-cancel-title-${task.id}`}>
        <DialogTitle id={`task-cancel-title-${task.id}`}>{t('tasks.cancel')}</DialogTitle>
        <DialogContent>
          <DialogContentText sx={{ overflowWrap: 'anywhere' }}>{t('tasks.cancelConfirm', { name: title })}</DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirmCancel(false)}>{t('tasks.cancelNo')}</Button>
          <Button
            color="error"
            variant="contained"
            data-testid="task-cancel-confirm"
            onClick={async () => {
              setConfirmCancel(false);
              try {
                await workflow.cancelDownload(task.id);
                notify(t('tasks.canceled'), 'info');
                onChanged();
              } catch (e) {
                notify(err(e, 'download'), 'error');
              }
            }}
          >
            {t('tasks.cancelYes')}
          </Button>
        </DialogActions>
      </Dialog>
    </Paper>
  );
}

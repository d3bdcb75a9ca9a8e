import { useState } from 'react';
import { Box, Button, Collapse, IconButton, LinearProgress, Paper, Tooltip, Typography } from '@mui/material';
import CloseIcon from '@mui/icons-material/Close';
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import ExpandLessIcon from '@mui/icons-material/ExpandLess';
import ReplayIcon from '@mui/icons-material/Replay';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorOutlineIcon from '@mui/icons-material/ErrorOutlineOutlined';
import PauseIcon from '@mui/icons-material/Pause';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import CloudOffIcon from '@mui/icons-material/CloudOffOutlined';
import { Code } from '@cloudreve-ts/protocol';
import { describeError, isCode } from '../api/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import { formatDuration, formatSize } from '../util/format.ts';
import { FileIcon } from '../explorer/FileIcon.tsx';
import { useUploadQueue, useUploadTasks } from './UploadProvider.tsx';
import type { UploadProblem, UploadTask } from './queue.ts';

function useProblemText() {
  const { t, language } = useI18n();
  return (p: UploadProblem | undefined, size?: number) => {
    if (!p) return '';
    if ('local' in p) return p.local === 'tooLarge' ? t('upload.tooLarge', { max: formatSize(p.max) }) : p.local === 'badName' ? t('upload.badName') : t('upload.typeNotAllowed');
    if (isCode(p.api, Code.ObjectExist)) return t('upload.exists');
    if (isCode(p.api, Code.InsufficientCapacity) && size !== undefined) return t('upload.quota', { size: formatSize(size) });
    if (isCode(p.api, Code.FileTooLarge)) return t('error.40049');
    // A bucket's or node's refusal: its own words say what to fix (e.g. CORS not exposing ETag).
    if (isCode(p.api, Code.UploadFailed) && (p.api as Error).message) return `${t('error.40002')} ${(p.api as Error).message}`;
    if (isCode(p.api, Code.IllegalObjectName)) return t('upload.badName');
    return describeError(p.api, t, language);
  };
}

/** "2.5 MB/s · 40 s left" once a speed is known, else empty. */
function useRateText() {
  const { t } = useI18n();
  return (speed: number | undefined, remaining: number) => {
    if (!speed || speed <= 0) return '';
    return ` · ${t('upload.speed', { speed: formatSize(Math.round(speed)) })} · ${t('upload.timeLeft', { time: formatDuration(remaining / speed) })}`;
  };
}

function TaskRow({ task }: { task: UploadTask }) {
  const { t } = useI18n();
  const queue = useUploadQueue();
  const problemText = useProblemText();
  const rateText = useRateText();
  const percent = task.file.size ? Math.round((task.loaded / task.file.size) * 100) : task.status === 'done' ? 100 : 0;
  const conflict = task.status === 'error' && task.problem && 'api' in task.problem && isCode(task.problem.api, Code.ObjectExist);
  let detail: string;
  switch (task.status) {
    case 'queued': detail = `${t('upload.waiting')} · ${formatSize(task.file.size)}`; break;
    case 'uploading': {
      // Once speed is known the row would overflow with sizes too; the bar shows how far it is.
      const rate = rateText(task.speed, task.file.size - task.loaded);
      detail = rate ? `${percent}%${rate}` : `${formatSize(task.loaded)} / ${formatSize(task.file.size)} · ${percent}%`;
      break;
    }
    case 'done': detail = `${t('upload.done')} · ${t('upload.to', { folder: task.folderName })}`; break;
    case 'canceled': detail = t('upload.canceled'); break;
    case 'paused': detail = t('upload.paused', { loaded: formatSize(task.loaded), total: formatSize(task.file.size) }); break;
    default: detail = problemText(task.problem, task.file.size);
  }
  if (task.status === 'uploading' && task.offline) detail = t('upload.offline');
  return (
    <Box data-testid="upload-task" data-status={task.status} data-offline={task.offline ? 'true' : undefined} data-name={task.relativePath} sx={{ display: 'flex', alignItems: 'center', gap: 1.5, px: 2, py: 1.1, '&:not(:last-of-type)': { borderBottom: 1, borderColor: 'divider' } }}>
      <FileIcon name={task.file.name} folder={false} size={28} />
      <Box sx={{ flex: 1, minWidth: 0 }}>
        <Typography variant="body2" noWrap title={task.relativePath} sx={{ fontWeight: 500 }}>{task.relativePath}</Typography>
        <Typography variant="caption" color={task.status === 'error' ? 'error' : 'text.secondary'} noWrap component="div" title={detail}>
          {detail}
        </Typography>
        {(task.status === 'uploading' || task.status === 'paused') && (
          <LinearProgress variant="determinate" value={percent} color={task.status === 'paused' || task.offline ? 'inherit' : 'primary'} sx={{ mt: 0.5, height: 4, borderRadius: 2, color: 'text.disabled' }} aria-label={task.relativePath} />
        )}
      </Box>
      {task.status === 'done' && <CheckCircleIcon color="success" fontSize="small" />}
      {task.offline && <CloudOffIcon color="warning" fontSize="small" aria-hidden />}
      {(task.status === 'uploading' || task.status === 'queued') && (
        <Tooltip title={t('upload.pause')}>
          <IconButton size="small" onClick={() => queue.pause(task.id)} aria-label={`${t('upload.pause')}: ${task.relativePath}`} data-testid="upload-pause"><PauseIcon fontSize="small" /></IconButton>
        </Tooltip>
      )}
      {task.status === 'paused' && (
        <Tooltip title={t('upload.resume')}>
          <IconButton size="small" onClick={() => queue.resume(task.id)} aria-label={`${t('upload.resume')}: ${task.relativePath}`} data-testid="upload-resume"><PlayArrowIcon fontSize="small" /></IconButton>
        </Tooltip>
      )}
      {conflict && (
        <Button size="small" onClick={() => queue.retry(task.id, true)} data-testid="upload-overwrite">{t('upload.overwrite')}</Button>
      )}
      {(task.status === 'error' || task.status === 'canceled') && !(task.problem && 'local' in task.problem) && !conflict && (
        <Tooltip title={t('upload.retry')}>
          <IconButton size="small" onClick={() => queue.retry(task.id)} aria-label={`${t('upload.retry')}: ${task.relativePath}`} data-testid="upload-retry"><ReplayIcon fontSize="small" /></IconButton>
        </Tooltip>
      )}
      {task.status === 'error' && task.problem && 'local' in task.problem && <ErrorOutlineIcon color="error" fontSize="small" />}
      {(task.status === 'queued' || task.status === 'uploading' || task.status === 'paused') && (
        <Tooltip title={t('upload.cancel')}>
          <IconButton size="small" onClick={() => queue.cancel(task.id)} aria-label={`${t('upload.cancel')}: ${task.relativePath}`} data-testid="upload-cancel"><CloseIcon fontSize="small" /></IconButton>
        </Tooltip>
      )}
    </Box>
  );
}

/** Floating panel with every upload of this page: per-file and total progress, cancel/retry. */
export function UploadPanel() {
  const { t, tp } = useI18n();
  const queue = useUploadQueue();
  const tasks = useUploadTasks();
  const rateText = useRateText();
  const [collapsed, setCollapsed] = useState(false);
  if (!tasks.length) return null;

  const counted = tasks.filter((x) => x.status !== 'canceled');
  const total = counted.reduce((n, x) => n + x.file.size, 0);
  const loaded = counted.reduce((n, x) => n + (x.status === 'done' ? x.file.size : x.loaded), 0);
  const active = tasks.some((x) => x.status === 'uploading' || x.status === 'queued' || x.status === 'paused');
  const done = tasks.filter((x) => x.status === 'done').length;
  const failed = tasks.filter((x) => x.status === 'error').length;
  const percent = total ? Math.round((loaded / total) * 100) : active ? 0 : 100;
  const uploading = tasks.filter((x) => x.status === 'uploading' && x.speed !== undefined);
  const speed = uploading.length ? uploading.reduce((n, x) => n + x.speed!, 0) : undefined;
  // Failed files are not waiting to be sent: only what is uploading, queued or paused is left.
  const remaining = tasks.filter((x) => x.status === 'uploading' || x.status === 'queued' || x.status === 'paused').reduce((n, x) => n + x.file.size - x.loaded, 0);
  const title = active
    ? t('upload.panelTitle.active', { done, total: counted.length })
    : failed
      ? tp('upload.panelTitle.failed', failed)
      : t('upload.panelTitle.done');

  return (
    <Paper
      elevation={8}
      data-testid="upload-panel"
      sx={{ position: 'fixed', right: { xs: 8, sm: 24 }, bottom: { xs: 8, sm: 24 }, width: { xs: 'calc(100% - 16px)', sm: 400 }, zIndex: (th) => th.zIndex.snackbar - 1, overflow: 'hidden', borderRadius: 3 }}
    >
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, pl: 2, pr: 1, py: 1, bgcolor: 'action.hover' }}>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Typography variant="subtitle2" noWrap data-testid="upload-title">{title}</Typography>
          {active && <Typography variant="caption" color="text.secondary" data-testid="upload-total-detail">{`${formatSize(loaded)} / ${formatSize(total)} · ${percent}%${rateText(speed, remaining)}`}</Typography>}
        </Box>
        <Tooltip title={collapsed ? t('upload.expand') : t('upload.collapse')}>
          <IconButton size="small" onClick={() => setCollapsed((c) => !c)} aria-label={collapsed ? t('upload.expand') : t('upload.collapse')}>
            {collapsed ? <ExpandLessIcon /> : <ExpandMoreIcon />}
          </IconButton>
        </Tooltip>
        {!active && (
          <Tooltip title={t('common.close')}>
            <IconButton size="small" onClick={() => queue.clearFinished()} aria-label={t('common.close')} data-testid="upload-close"><CloseIcon fontSize="small" /></IconButton>
          </Tooltip>
        )}
      </Box>
      <LinearProgress variant="determinate" value={percent} color={failed && !active ? 'error' : 'primary'} sx={{ height: 3 }} data-testid="upload-total-progress" aria-valuenow={percent} />
      <Collapse in={!collapsed}>
        <Box sx={{ maxHeight: 300, overflowY: 'auto' }}>
          {tasks.map((task) => <TaskRow key={task.id} task={task} />)}
        </Box>
      </Collapse>
    </Paper>
  );
}

import { useCallback } from 'react';
import { useI18n } from '../../i18n/index.tsx';

/**
 * The few task labels shown outside the Tasks page (navigation, file menus). Kept apart from the
 * page dictionary so the first download carries only these.
 */
const en = {
  'nav.tasks': 'Tasks',
  'menu.compress': 'Compress to zip…',
  'menu.extractHere': 'Extract here',
  'menu.extractTo': 'Extract to…',
  'menu.remoteDownload': 'Remote download…',
  'menu.torrent': 'Download with this torrent…',
};
export type TasksMenuKey = keyof typeof en;

const zhCN: Record<TasksMenuKey, string> = {
  'nav.tasks': '任务',
  'menu.compress': '压缩为 zip…',
  'menu.extractHere': '解压到此处',
  'menu.extractTo': '解压到…',
  'menu.remoteDownload': '离线下载…',
  'menu.torrent': '用此种子离线下载…',
};

export function useTasksMenuText(): (key: TasksMenuKey) => string {
  const { language } = useI18n();
  return useCallback((key) => (language === 'zh-CN' ? zhCN : en)[key], [language]);
}

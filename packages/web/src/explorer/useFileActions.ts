import { useCallback } from 'react';
import { Code, FileKind, type FileResponse } from '@cloudreve-ts/protocol';
import { ApiError } from '../api/client.ts';
import { files } from '../api/endpoints.ts';
import { describeError } from '../api/errors.ts';
import { useNotify } from '../components/Notifier.tsx';
import { storageChanged } from '../events.ts';
import { useI18n } from '../i18n/index.tsx';
import { childUri } from '../util/uri.ts';

interface FolderOps {
  reload(): void;
  replaceItem(file: FileResponse): void;
  removeItems(ids: ReadonlySet<string>): void;
}

/** Starts a browser download of a signed URL without leaving the page. */
function startDownload(url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/**
 * In a batch failure (40081) the failed items are keyed by their URI; every other item of the
 * request went through and leaves the list.
 */
function succeeded(items: FileResponse[], err: unknown): FileResponse[] {
  if (!(err instanceof ApiError) || err.code !== Code.BatchOperationNotFullyCompleted || !err.aggregated) return [];
  const failed = new Set(Object.keys(err.aggregated));
  return items.filter((f) => f.path && !failed.has(f.path));
}

/** The file operations of the browser, each reporting its outcome as a toast. */
export function useFileActions(folderUri: string, folder: FolderOps) {
  const { t, tp, language } = useI18n();
  const notify = useNotify();
  const fail = useCallback((err: unknown) => notify(describeError(err, t, language), 'error'), [notify, t, language]);
  const ids = (list: FileResponse[]) => new Set(list.map((f) => f.id));
  const paths = (list: FileResponse[]) => list.map((f) => f.path!).filter(Boolean);

  /** Runs a batch call; removes what went through; tells how it went. */
  const batch = useCallback(
    async (items: FileResponse[], call: (uris: string[]) => Promise<void>, done: 'files.trashed' | 'files.deletedForever' | 'files.restored') => {
      try {
        await call(paths(items));
        folder.removeItems(ids(items));
        notify(tp(done, items.length, { name: items[0]?.name ?? '' }), 'success');
      } catch (err) {
        folder.removeItems(ids(succeeded(items, err)));
        fail(err);
      }
    },
    [folder, notify, tp, fail],
  );

  return {
    /** Resolves to an error text for the dialog, or undefined on success. */
    async createFolder(name: string): Promise<string | undefined> {
      try {
        await files.createFolder(childUri(folderUri, name));
        notify(t('files.folderCreated', { name }), 'success');
        folder.reload();
        return undefined;
      } catch (err) {
        return describeError(err, t, language);
      }
    },

    async rename(file: FileResponse, name: string): Promise<string | undefined> {
      if (name === file.name) return undefined;
      try {
        folder.replaceItem(await files.rename(file.path!, name));
        notify(t('files.renamed', { name }), 'success');
        return undefined;
      } catch (err) {
        return describeError(err, t, language);
      }
    },

    moveToTrash: (items: FileResponse[]) => batch(items, files.moveToTrash, 'files.trashed'),
    restore: (items: FileResponse[]) => batch(items, files.restore, 'files.restored'),
    deleteForever: async (items: FileResponse[]) => {
      await batch(items, files.deleteForever, 'files.deletedForever');
      storageChanged();
    },

    async emptyTrash(): Promise<void> {
      try {
        await files.emptyTrash();
        notify(t('files.trashEmptied'), 'success');
        storageChanged();
      } catch (err) {
        fail(err);
      }
      folder.reload();
    },

    async download(items: FileResponse[]): Promise<void> {
      const targets = items.filter((f) => f.type === FileKind.File && f.path);
      if (!targets.length) return;
      try {
        const { urls } = await files.urls({ uris: paths(targets), download: true });
        urls.forEach((u, i) => {
          if (!u.url) return;
          startDownload(u.url);
          if (targets.length === 1) notify(t('files.downloadStarted', { name: targets[i]!.name }), 'info');
        });
      } catch (err) {
        fail(err);
      }
    },
  };
}

/** Downloader abstraction behind remote-download tasks (contract 50 §1.6). */

/** Identifies a job in a downloader: aria2 gid / qBittorrent tag, plus the torrent info-hash when known. */
export interface DownloadHandle { id: string; hash?: string }

export type DownloadState = 'downloading' | 'seeding' | 'completed' | 'error' | 'unknown';

export interface DownloadFile {
  /** The downloader's own file index (aria2 1-based, qBittorrent 0-based); round-trips to select-files. */
  index: number;
  /** Path relative to `save_path`, `/`-separated. */
  name: string;
  size: number;
  progress: number;
  selected: boolean;
}

/** `summary.props.download` (DownloadStatus) plus where the data lies. */
export interface DownloadStatus {
  name: string;
  state: DownloadState;
  total: number;
  downloaded: number;
  download_speed: number;
  uploaded: number;
  upload_speed: number;
  hash?: string;
  files?: DownloadFile[];
  pieces?: string;
  num_pieces?: number;
  error_message?: string;
  /** Absolute folder the files are in (blanked before it reaches users). */
  save_path: string;
  /** aria2: the job that continues this one (magnet → torrent, .torrent URL → torrent). */
  followed_by?: DownloadHandle;
}

export interface CreateDownload {
  /** Job key: aria2 gid seed / qBittorrent tag; the same key finds an existing job again. */
  key: string;
  /** Folder the job writes into (created by the downloader). */
  dir: string;
  url?: string;
  torrent?: Buffer;
  /** Extra downloader options (node options + group `remote_download_options`). */
  options: Record<string, unknown>;
}

export interface Downloader {
  /** Connects and returns the downloader's version string. */
  test(): Promise<string>;
  /** Starts a job, or returns the existing job with the same key (idempotent for resumed tasks). */
  create(req: CreateDownload): Promise<DownloadHandle>;
  /** Live status; throws DownloadGone when the job no longer exists. */
  info(handle: DownloadHandle): Promise<DownloadStatus>;
  /** Removes the job (and the downloader's data for it); a missing job is not an error. */
  cancel(handle: DownloadHandle): Promise<void>;
  /** Marks which files to download. */
  select(handle: DownloadHandle, files: { index: number; download: boolean }[]): Promise<void>;
}

/** The job does not exist (any more) in the downloader. */
export class DownloadGone extends Error {
  constructor(message = 'Download task not found in downloader') {
    super(message);
    this.name = 'DownloadGone';
  }
}

/** The downloader could not be reached or refused the call. */
export class DownloaderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloaderError';
  }
}

/** Node settings (AdminNode.settings) that concern downloaders. */
export interface NodeDownloaderSettings {
  provider?: 'aria2' | 'qbittorrent' | string;
  aria2?: { server?: string; token?: string; options?: Record<string, unknown>; temp_path?: string };
  qbittorrent?: { server?: string; user?: string; password?: string; options?: Record<string, unknown>; temp_path?: string };
  /** Poll interval in seconds. */
  interval?: number;
  wait_for_seeding?: boolean;
}

import type { SvgIconComponent } from '@mui/icons-material';
import FolderIcon from '@mui/icons-material/Folder';
import InsertDriveFileOutlinedIcon from '@mui/icons-material/InsertDriveFileOutlined';
import ImageOutlinedIcon from '@mui/icons-material/ImageOutlined';
import MovieOutlinedIcon from '@mui/icons-material/MovieOutlined';
import AudiotrackOutlinedIcon from '@mui/icons-material/AudiotrackOutlined';
import PictureAsPdfOutlinedIcon from '@mui/icons-material/PictureAsPdfOutlined';
import FolderZipOutlinedIcon from '@mui/icons-material/FolderZipOutlined';
import CodeOutlinedIcon from '@mui/icons-material/CodeOutlined';
import DescriptionOutlinedIcon from '@mui/icons-material/DescriptionOutlined';
import TableChartOutlinedIcon from '@mui/icons-material/TableChartOutlined';
import SlideshowOutlinedIcon from '@mui/icons-material/SlideshowOutlined';
import { extensionOf } from '../util/format.ts';

interface Kind { icon: SvgIconComponent; color: string; exts: string[] }

const KINDS: Kind[] = [
  { icon: ImageOutlinedIcon, color: '#e53935', exts: ['jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp', 'svg', 'heic', 'heif', 'tif', 'tiff', 'avif', 'ico', 'raw', 'cr2', 'nef', 'arw', 'dng'] },
  { icon: MovieOutlinedIcon, color: '#8e24aa', exts: ['mp4', 'mkv', 'mov', 'avi', 'webm', 'flv', 'wmv', 'm4v', '3gp', 'ts', 'm2ts'] },
  { icon: AudiotrackOutlinedIcon, color: '#00897b', exts: ['mp3', 'flac', 'wav', 'ogg', 'm4a', 'aac', 'opus', 'wma', 'ape', 'alac'] },
  { icon: PictureAsPdfOutlinedIcon, color: '#d32f2f', exts: ['pdf'] },
  { icon: FolderZipOutlinedIcon, color: '#f9a825', exts: ['zip', 'rar', '7z', 'tar', 'gz', 'tgz', 'bz2', 'xz', 'zst', 'iso'] },
  { icon: TableChartOutlinedIcon, color: '#2e7d32', exts: ['xls', 'xlsx', 'csv', 'ods', 'numbers', 'tsv'] },
  { icon: SlideshowOutlinedIcon, color: '#ef6c00', exts: ['ppt', 'pptx', 'odp', 'key'] },
  { icon: DescriptionOutlinedIcon, color: '#1e88e5', exts: ['doc', 'docx', 'odt', 'rtf', 'txt', 'md', 'pages', 'epub'] },
  { icon: CodeOutlinedIcon, color: '#546e7a', exts: ['js', 'ts', 'tsx', 'jsx', 'json', 'html', 'css', 'py', 'go', 'rs', 'java', 'c', 'cpp', 'h', 'sh', 'yml', 'yaml', 'xml', 'toml', 'ini', 'sql', 'php', 'rb', 'kt', 'swift'] },
];
const BY_EXT = new Map(KINDS.flatMap((k) => k.exts.map((e) => [e, k] as const)));

/** A coloured icon by kind: folder, image, video, audio, document … */
export function FileIcon({ name, folder, size = 24 }: { name: string; folder: boolean; size?: number }) {
  if (folder) return <FolderIcon sx={{ fontSize: size, color: '#f6b93b', flexShrink: 0 }} />;
  const kind = BY_EXT.get(extensionOf(name));
  const Icon = kind?.icon ?? InsertDriveFileOutlinedIcon;
  return <Icon sx={{ fontSize: size, color: kind?.color ?? 'text.secondary', flexShrink: 0 }} />;
}

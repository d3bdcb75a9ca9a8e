/**
 * Default `file_viewers` and `explorer_icons` settings (our own data). Viewer ids and icon names
 * are identifiers the official web client implements (built-in viewers: image, video, music,
 * pdf, epub, markdown, monaco, drawio, excalidraw, photopea; icon names: audio, video, image,
 * raw, pdf, word, ppt, excel, text, torrent, zip, exe, android, go, python, c, cpp, js, book,
 * rust, flowchart, whiteboard, markdown). Display names are plain English, shown as-is.
 */
const viewer = (id: string, display_name: string, exts: string[], extra: Record<string, unknown> = {}) =>
  ({ id, type: 'builtin', display_name, exts, ...extra });

const CODE_EXTS = [
  'txt', 'log', 'json', 'yaml', 'yml', 'toml', 'ini', 'conf', 'env', 'xml', 'csv', 'tsv', 'md', 'html', 'htm', 'css',
  'scss', 'less', 'js', 'mjs', 'cjs', 'jsx', 'ts', 'tsx', 'vue', 'svelte', 'py', 'rb', 'go', 'rs', 'java', 'kt',
  'swift', 'c', 'h', 'cpp', 'cc', 'hpp', 'cs', 'php', 'pl', 'lua', 'r', 'sh', 'bash', 'zsh', 'bat', 'ps1', 'sql',
  'dockerfile', 'makefile', 'gradle', 'properties', 'srt', 'vtt', 'ass',
];

export const DEFAULT_FILE_VIEWERS = [
  {
    viewers: [
      viewer('image', 'Image viewer', ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg', 'avif', 'heic', 'heif', 'ico']),
      viewer('video', 'Video player', ['mp4', 'webm', 'mkv', 'mov', 'm4v', 'avi', 'flv', 'm3u8', 'ogv']),
      viewer('music', 'Music player', ['mp3', 'flac', 'wav', 'ogg', 'oga', 'opus', 'm4a', 'aac']),
      viewer('pdf', 'PDF viewer', ['pdf']),
      viewer('epub', 'E-book reader', ['epub']),
      viewer('markdown', 'Markdown editor', ['md', 'markdown'], { templates: [{ ext: 'md', display_name: 'Markdown document' }] }),
      viewer('monaco', 'Code editor', CODE_EXTS, { templates: [{ ext: 'txt', display_name: 'Text file' }] }),
      viewer('drawio', 'Diagram editor', ['drawio', 'dwb'], {
        props: { host: 'https://embed.diagrams.net' },
        templates: [{ ext: 'drawio', display_name: 'Diagram' }, { ext: 'dwb', display_name: 'Whiteboard' }],
      }),
      viewer('excalidraw', 'Excalidraw', ['excalidraw'], { templates: [{ ext: 'excalidraw', display_name: 'Sketch' }] }),
      viewer('photopea', 'Photopea', ['psd', 'psb', 'xcf', 'ai', 'eps', 'tga', 'dds', 'pdn', 'sketch']),
    ],
  },
];

const icon = (name: string, color: string, exts: string[], color_dark?: string) =>
  ({ exts, icon: name, color, ...(color_dark ? { color_dark } : {}) });

export const DEFAULT_EXPLORER_ICONS = [
  icon('audio', '#8e24aa', ['mp3', 'flac', 'wav', 'ogg', 'oga', 'opus', 'm4a', 'aac', 'wma', 'ape', 'mid']),
  icon('video', '#e53935', ['mp4', 'webm', 'mkv', 'mov', 'm4v', 'avi', 'flv', 'wmv', 'm3u8', 'ogv', 'rmvb', '3gp']),
  icon('image', '#f4511e', ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg', 'avif', 'heic', 'heif', 'ico', 'tif', 'tiff', 'psd']),
  icon('raw', '#f4511e', ['dng', 'cr2', 'cr3', 'crw', 'nef', 'nrw', 'arw', 'srf', 'sr2', 'raf', 'orf', 'rw2', 'pef', 'srw', '3fr', 'iiq']),
  icon('pdf', '#c62828', ['pdf']),
  icon('word', '#1e88e5', ['doc', 'docx', 'odt', 'rtf']),
  icon('ppt', '#ef6c00', ['ppt', 'pptx', 'odp', 'key']),
  icon('excel', '#43a047', ['xls', 'xlsx', 'ods', 'csv', 'tsv']),
  icon('text', '#78909c', ['txt', 'log', 'ini', 'conf']),
  icon('torrent', '#3949ab', ['torrent']),
  icon('zip', '#fbc02d', ['zip', 'rar', '7z', 'tar', 'gz', 'tgz', 'bz2', 'xz', 'zst', 'lz4', 'cab']),
  icon('exe', '#283593', ['exe', 'msi', 'dmg', 'deb', 'rpm']),
  icon('android', '#7cb342', ['apk', 'aab']),
  icon('go', '#00acc1', ['go']),
  icon('python', '#1565c0', ['py', 'pyw', 'ipynb']),
  icon('c', '#5c6bc0', ['c', 'h']),
  icon('cpp', '#d81b60', ['cpp', 'cc', 'cxx', 'hpp', 'hh']),
  icon('js', '#f9a825', ['js', 'mjs', 'cjs', 'jsx']),
  icon('book', '#689f38', ['epub', 'mobi', 'azw3', 'fb2']),
  icon('rust', '#3e2723', ['rs'], '#ffccbc'),
  icon('flowchart', '#fb8c00', ['drawio']),
  icon('whiteboard', '#fb8c00', ['dwb', 'excalidraw']),
  icon('markdown', '#424242', ['md', 'markdown'], '#e0e0e0'),
];

import { loadSharp } from '../util/lazy-modules.ts';
import type { Sharp } from 'sharp';
import type { Readable } from 'node:stream';
import type { Settings } from '../services/settings.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { extractFrame, ffmpegAvailable } from './ffmpeg.ts';

/** Image formats sharp's bundled libvips decodes (SVG left out: no renderer for untrusted markup). */
const SHARP_EXTS = ['jpg', 'jpeg', 'jpe', 'png', 'gif', 'webp', 'tif', 'tiff', 'avif'];

export interface ThumbSource {
  driver: StorageDriver;
  key: string;
  /** File name (for the extension). */
  name: string;
  size: number;
}

export interface RenderedThumb {
  data: Buffer;
  /** Extension of the encoded thumbnail, e.g. "jpg". */
  ext: string;
  contentType: string;
}

export class NoThumbnailGenerator extends Error {}

const extOf = (name: string) => {
  const i = name.lastIndexOf('.');
  return i >= 0 ? name.slice(i + 1).toLowerCase() : '';
};

const list = (s: string) => s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);

type Generator = 'sharp' | 'ffmpeg';

/** Which generator would handle this file, honouring the thumb_* settings; undefined = none. */
export async function pickGenerator(settings: Settings, name: string, driver: StorageDriver): Promise<Generator | undefined> {
  const ext = extOf(name);
  if (!ext) return undefined;
  const sharpExts = new Set([...(settings.get('thumb_builtin_enabled', '1') !== '0' ? SHARP_EXTS : []),
    ...(settings.bool('thumb_vips_enabled') ? list(settings.get('thumb_vips_exts')).filter((e) => e !== 'svg') : [])]);
  if (sharpExts.has(ext)) return 'sharp';
  const ffmpegExts = new Set([
    ...(settings.bool('thumb_ffmpeg_enabled') ? list(settings.get('thumb_ffmpeg_exts')) : []),
    ...(settings.get('thumb_music_cover_enabled', '1') !== '0' ? list(settings.get('thumb_music_cover_exts')) : []),
  ]);
  if (ffmpegExts.has(ext) && driver.localPath && (await ffmpegAvailable(ffmpegBin(settings)))) return 'ffmpeg';
  return undefined;
}

const ffmpegBin = (settings: Settings) => settings.get('thumb_ffmpeg_path', 'ffmpeg') || 'ffmpeg';

/**
 * Renders a thumbnail (fit inside thumb_width × thumb_height, never enlarged, EXIF-rotated) as JPEG,
 * or as PNG/WebP when `thumb_encode_method` says so. Throws NoThumbnailGenerator when nothing can
 * render this file, any other error when rendering failed.
 */
export async function renderThumbnail(settings: Settings, src: ThumbSource): Promise<RenderedThumb> {
  const gen = await pickGenerator(settings, src.name, src.driver);
  if (!gen) throw new NoThumbnailGenerator(`No thumbnail generator for "${src.name}"`);
  const sharp = await loadSharp();
  let input: Sharp;
  if (gen === 'sharp') {
    const stream: Readable = await src.driver.get(src.key);
    input = sharp({ failOn: 'error', sequentialRead: true, animated: false });
    stream.once('error', (e) => input.destroy(e));
    stream.pipe(input);
  } else {
    const frame = await extractFrame(ffmpegBin(settings), src.driver.localPath!(src.key), Number(settings.get('thumb_ffmpeg_seek', '1')) || 1);
    input = sharp(frame);
  }
  const width = settings.int('thumb_width', 400) || 400;
  const height = settings.int('thumb_height', 300) || 300;
  const quality = Math.min(100, Math.max(1, settings.int('thumb_encode_quality', 85) || 85));
  const method = settings.get('thumb_encode_method', 'jpg').toLowerCase();
  const pipeline = input.rotate().resize({ width, height, fit: 'inside', withoutEnlargement: true });
  if (method === 'png') return { data: await pipeline.png().toBuffer(), ext: 'png', contentType: 'image/png' };
  if (method === 'webp') return { data: await pipeline.webp({ quality }).toBuffer(), ext: 'webp', contentType: 'image/webp' };
  return { data: await pipeline.flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer(), ext: 'jpg', contentType: 'image/jpeg' };
}

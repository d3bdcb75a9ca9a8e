import { nameViolation } from '../fs/names.ts';
import { safeSegments } from '../storage/safe-path.ts';

const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function cp437(buf: Buffer): string {
  let s = '';
  for (const b of buf) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return s;
}

/**
 * Decodes a zip entry name: UTF-8 when the entry says so (flag bit 11); otherwise the requested
 * legacy `encoding` (e.g. gbk, shift_jis), else UTF-8 when the bytes are valid UTF-8 (many tools
 * omit the flag), else CP437 as the zip spec says. Throws RangeError for an unknown encoding.
 */
export function decodeEntryName(raw: Buffer, utf8Flag: boolean, encoding?: string): string {
  if (utf8Flag) return raw.toString('utf8');
  if (encoding && !/^utf-?8$/i.test(encoding)) return new TextDecoder(encoding).decode(raw);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return cp437(raw);
  }
}

/**
 * The path segments of an entry name, or undefined when the entry must be skipped (zip-slip:
 * absolute paths, `..`, backslashes, drive letters, encoded traversal, names the file system
 * refuses).
 */
export function entrySegments(name: string): string[] | undefined {
  let segs: string[];
  try {
    segs = safeSegments(name);
  } catch {
    return undefined;
  }
  if (!segs.length || segs.some((s) => nameViolation(s) !== undefined)) return undefined;
  return segs;
}

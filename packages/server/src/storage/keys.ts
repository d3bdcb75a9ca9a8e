import path from 'node:path';
import { randomInt, randomUUID } from 'node:crypto';
import { randomString } from '../util/random.ts';

export interface SavePathInput {
  dirRule: string;
  fileRule: string;
  userId: number;
  /** Folder of the target inside the user's tree, "/" for the root, e.g. "/photos/2024". */
  folderPath: string;
  /** Name of the uploaded file. */
  originName: string;
  /** Epoch ms (rules expand in the server's local time, like Cloudreve). */
  now: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Go's filepath.Ext: the suffix from the last dot of the last element, "" when none. */
export function goExt(name: string): string {
  const i = name.lastIndexOf('.');
  return i >= 0 ? name.slice(i) : '';
}

/**
 * Expands a policy's dir and file name rules into a storage key (Cloudreve placeholders:
 * {randomkey16} {randomkey8} {timestamp} {timestamp_nano} {randomnum2|3|4|8} {uid} {datetime}
 * {date} {year} {month} {day} {hour} {minute} {second} {uuid}; dir only: {path}; file only:
 * {originname} {ext} {originname_without_ext}). Unknown placeholders stay literal. The result is a
 * cleaned relative key with "/" separators; the driver still resolves it under its root.
 */
export function generateSavePath(input: SavePathInput): string {
  const d = new Date(input.now);
  const ext = goExt(input.originName);
  const common = (ph: string): string | undefined => {
    switch (ph) {
      case '{randomkey16}': return randomString(16);
      case '{randomkey8}': return randomString(8);
      case '{timestamp}': return String(Math.floor(input.now / 1000));
      case '{timestamp_nano}': return `${input.now}000000`;
      case '{randomnum2}': return String(randomInt(2));
      case '{randomnum3}': return String(randomInt(3));
      case '{randomnum4}': return String(randomInt(4));
      case '{randomnum8}': return String(randomInt(8));
      case '{uid}': return String(input.userId);
      case '{datetime}': return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
      case '{date}': return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
      case '{year}': return String(d.getFullYear());
      case '{month}': return pad(d.getMonth() + 1);
      case '{day}': return pad(d.getDate());
      case '{hour}': return pad(d.getHours());
      case '{minute}': return pad(d.getMinutes());
      case '{second}': return pad(d.getSeconds());
      case '{uuid}': return randomUUID();
      default: return undefined;
    }
  };
  const folder = input.folderPath.endsWith('/') ? input.folderPath : `${input.folderPath}/`;
  const dir = input.dirRule.replace(/\\/g, '/').replace(/\{[^{}]+\}/g, (m) => (m === '{path}' ? folder : common(m) ?? m));
  const file = input.fileRule.replace(/\{[^{}]+\}/g, (m) => {
    switch (m) {
      case '{originname}': return input.originName;
      case '{ext}': return ext;
      case '{originname_without_ext}': return ext ? input.originName.slice(0, -ext.length) : input.originName;
      default: return common(m) ?? m;
    }
  });
  return cleanKey(path.posix.join(dir, file));
}

/** Normalises a key: "/" separators, no leading "/", no "." segments. ".." is kept for the driver to refuse. */
export function cleanKey(key: string): string {
  return path.posix.normalize(key.replace(/\\/g, '/')).replace(/^(\.\/|\/)+/, '');
}

import fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';

/**
 * Writes a file of `size` incompressible bytes quickly: one 4 MiB random block, with the block
 * number stamped into its first 8 bytes so no two blocks are equal.
 */
export async function makeTestFile(file: string, size: number): Promise<void> {
  const block = randomBytes(4 * 1024 * 1024);
  const fh = await fs.promises.open(file, 'w');
  try {
    for (let off = 0, n = 0; off < size; off += block.length, n++) {
      block.writeBigUInt64LE(BigInt(n), 0);
      const len = Math.min(block.length, size - off);
      await fh.write(block, 0, len, off);
    }
  } finally {
    await fh.close();
  }
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const b of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) h.update(b as Buffer);
  return h.digest('hex');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Bytes per millisecond → MiB/s. */
export const mibPerSec = (bytes: number, ms: number) => bytes / (1024 * 1024) / (ms / 1000);

import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

/**
 * An identifier of the running operating-system boot. Data written without fsync survives a killed
 * process (it is in the page cache) but not an OS crash or power loss; tagging such writes with the
 * boot lets a later step tell whether they may have been lost.
 */
function readBootId(): string {
  try {
    const id = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    if (id) return id;
  } catch {
    /* not Linux */
  }
  // Boot time to the minute: stable for this boot, different after a restart.
  return `t${Math.round((Date.now() / 1000 - os.uptime()) / 60)}`;
}

export const BOOT_ID = readBootId();

/** A short form of BOOT_ID for tagging rows (12 hex characters). */
export const BOOT_TAG = createHash('sha256').update(BOOT_ID).digest('hex').slice(0, 12);

/** A unique id for one stored chunk write, tagged with this boot. */
export const chunkWriteId = (): string => `${BOOT_TAG}.${randomUUID()}`;

/** Whether a chunk write id was made during this OS boot (else its unsynced bytes may be lost). */
export const writtenThisBoot = (writeId: string): boolean => writeId.startsWith(`${BOOT_TAG}.`);

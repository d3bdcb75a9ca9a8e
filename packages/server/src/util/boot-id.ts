import { createHash } from 'node:crypto';
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

import { createHash, type Hash } from 'node:crypto';

/**
 * SHA-256 of an upload computed while its chunks stream through this process, so the commit does
 * not have to re-read the blob. It only extends while chunks arrive in order, one at a time; any
 * gap, overlap or failed chunk drops it. At commit it is used only if every chunk's last recorded
 * write (upload_chunks.write_id) is one this hash saw — a re-send that went to another instance, or
 * anything before a restart, makes the commit hash the stored bytes instead.
 */
interface Entry { hash: Hash; next: number; busy: boolean; touched: number; writes: Map<number, string> }

const MAX_ENTRIES = 10_000;

export interface HashFeeder {
  update(b: Buffer): void;
  /** The chunk was stored (`ok`) under `writeId`, or it failed. */
  done(ok: boolean, index: number, length: number, writeId: string): void;
}

export class RunningHashes {
  private readonly entries = new Map<string, Entry>();

  /** Claims the hash for the chunk at `offset`; undefined when this chunk cannot extend it. */
  begin(sessionId: string, offset: number): HashFeeder | undefined {
    let e = this.entries.get(sessionId);
    if (offset === 0 && (!e || e.next !== 0)) {
      if (e?.busy) {
        this.entries.delete(sessionId);
        return undefined;
      }
      if (!e && this.entries.size >= MAX_ENTRIES) this.evictOldest();
      e = { hash: createHash('sha256'), next: 0, busy: false, touched: Date.now(), writes: new Map() };
      this.entries.set(sessionId, e);
    }
    if (!e || e.busy || e.next !== offset) {
      this.entries.delete(sessionId);
      return undefined;
    }
    e.busy = true;
    e.touched = Date.now();
    const entry = e;
    return {
      update: (b) => entry.hash.update(b),
      done: (ok, index, length, writeId) => {
        entry.busy = false;
        if (ok && this.entries.get(sessionId) === entry) {
          entry.next += length;
          entry.writes.set(index, writeId);
        } else if (this.entries.get(sessionId) === entry) {
          this.entries.delete(sessionId);
        }
      },
    };
  }

  /**
   * The hex digest when exactly `size` bytes were hashed in order and `chunks` (the recorded last
   * write of every chunk) are all writes this hash saw. Consumes the entry.
   */
  take(sessionId: string, size: number, chunks: { idx: number; write_id: string }[]): string | undefined {
    const e = this.entries.get(sessionId);
    this.entries.delete(sessionId);
    if (!e || e.busy || e.next !== size) return undefined;
    if (chunks.length !== e.writes.size || chunks.some((c) => e.writes.get(Number(c.idx)) !== c.write_id)) return undefined;
    return e.hash.digest('hex');
  }

  forget(sessionId: string): void {
    this.entries.delete(sessionId);
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let t = Infinity;
    for (const [k, v] of this.entries) if (v.touched < t) [oldest, t] = [k, v.touched];
    if (oldest) this.entries.delete(oldest);
  }
}

/** Boolset: flag n in byte n/8, bit n%8 (LSB first), standard base64 on the wire (contract 00 §7). */
export class Boolset {
  private bytes: number[];
  constructor(bytes: Iterable<number> = []) {
    this.bytes = [...bytes];
  }
  static fromFlags(flags: number[]): Boolset {
    const b = new Boolset();
    for (const f of flags) b.set(f, true);
    return b;
  }
  static decode(s: string | null | undefined): Boolset {
    if (!s) return new Boolset();
    return new Boolset(Buffer.from(s, 'base64'));
  }
  has(flag: number): boolean {
    const byte = this.bytes[flag >> 3];
    return byte !== undefined && (byte & (1 << (flag & 7))) !== 0;
  }
  set(flag: number, on: boolean): this {
    const i = flag >> 3;
    while (this.bytes.length <= i) this.bytes.push(0);
    if (on) this.bytes[i]! |= 1 << (flag & 7);
    else this.bytes[i]! &= ~(1 << (flag & 7));
    return this;
  }
  flags(): number[] {
    const out: number[] = [];
    this.bytes.forEach((b, i) => {
      for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) out.push(i * 8 + bit);
    });
    return out;
  }
  /** Base64 of the shortest byte array holding every set flag; "" for the empty set. */
  encode(): string {
    let n = this.bytes.length;
    while (n > 0 && this.bytes[n - 1] === 0) n--;
    return n === 0 ? '' : Buffer.from(this.bytes.slice(0, n)).toString('base64');
  }
}

/** Group permission bits (contract 00 §7). */
export const GroupPermission = {
  IsAdmin: 0, IsAnonymous: 1, Share: 2, WebDAV: 3, ArchiveDownload: 4, ArchiveTask: 5, WebDAVProxy: 6,
  ShareDownload: 7, ShareFree: 8, RemoteDownload: 9, Relocate: 10, RedirectedSource: 11, AdvanceDelete: 12,
  SelectNode: 13, SetAnonymousPermission: 14, SetExplicitUser: 15, IgnoreFileOwnership: 16, UniqueRedirectDirectLink: 17,
} as const;

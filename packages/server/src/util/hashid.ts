import Hashids from 'hashids';

/** Hashid type codes (contract 00 §6). */
export const HashType = {
  Share: 0, User: 1, File: 2, Folder: 3, Tag: 4, Policy: 5, SourceLink: 6, Group: 7, Entity: 8,
  AuditLog: 9, Node: 10, Task: 11, DavAccount: 12, Payment: 13,
} as const;
export type HashTypeValue = (typeof HashType)[keyof typeof HashType];

const ENCODE_CACHE_SIZE = 200_000;

/** Encodes [id, type] pairs exactly like go-hashids with min length 0. */
export class HashIds {
  private readonly h: Hashids;
  /** Encoding shuffles the alphabet per call (~10 µs); listings encode two ids per row. */
  private readonly encoded = new Map<number, string>();
  constructor(salt: string) {
    this.h = new Hashids(salt, 0);
  }
  encode(id: number, type: HashTypeValue): string {
    const key = id * 16 + type;
    let s = this.encoded.get(key);
    if (s === undefined) {
      s = this.h.encode([id, type]);
      if (Number.isSafeInteger(key)) {
        if (this.encoded.size >= ENCODE_CACHE_SIZE) this.encoded.clear();
        this.encoded.set(key, s);
      }
    }
    return s;
  }
  /** The numeric id, or undefined when the string is not a canonical hashid of that type. */
  decode(s: string, type: HashTypeValue): number | undefined {
    if (typeof s !== 'string' || !s || s.length > 64) return undefined;
    let nums: (number | bigint)[];
    try {
      nums = this.h.decode(s);
    } catch {
      return undefined;
    }
    if (nums.length !== 2 || Number(nums[1]) !== type) return undefined;
    const id = Number(nums[0]);
    if (!Number.isSafeInteger(id) || this.h.encode([id, type]) !== s) return undefined;
    return id;
  }
}

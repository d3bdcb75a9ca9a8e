import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashIds, HashType } from '../src/util/hashid.ts';
import { Boolset, GroupPermission as P } from '../src/util/boolset.ts';

describe('hashids (contract 00 §6)', () => {
  const h = new HashIds('this is my salt');

  it('matches the golden values', () => {
    expect(h.encode(1, HashType.User)).toBe('6gHV');
    expect(h.encode(0, HashType.User)).toBe('N4Uz');
    expect(h.encode(1, HashType.Group)).toBe('D4H1');
    expect(h.encode(1, HashType.Share)).toBe('NVHQ');
    expect(h.encode(1, HashType.File)).toBe('yzHD');
    expect(h.encode(1, HashType.DavAccount)).toBe('xJH2');
  });

  it('decodes golden values back to their id for the right type only', () => {
    expect(h.decode('6gHV', HashType.User)).toBe(1);
    expect(h.decode('N4Uz', HashType.User)).toBe(0);
    expect(h.decode('D4H1', HashType.Group)).toBe(1);
    expect(h.decode('NVHQ', HashType.Share)).toBe(1);
    expect(h.decode('yzHD', HashType.File)).toBe(1);
    expect(h.decode('xJH2', HashType.DavAccount)).toBe(1);
    expect(h.decode('6gHV', HashType.Group)).toBeUndefined();
    expect(h.decode('yzHD', HashType.Folder)).toBeUndefined();
    expect(h.decode('D4H1', HashType.User)).toBeUndefined();
  });

  it('rejects strings that are not canonical two-number hashids', () => {
    const three = new HashIds('this is my salt');
    const raw = (three as unknown as { h: { encode(n: number[]): string } }).h;
    const cases = [
      '', ' ', '6gHV ', ' 6gHV', '6ghv', '6GHV', '6gHVx', 'x6gHV', '6g', '!!!!', '6gH_', 'ü6gHV', '%36gHV',
      raw.encode([1]), raw.encode([1, 1, 1]), raw.encode([1, 1, 0]), 'a'.repeat(65), '6gHV'.repeat(20),
    ];
    for (const s of cases) expect(h.decode(s, HashType.User), JSON.stringify(s)).toBeUndefined();
  });

  it('rejects wrong input types without throwing', () => {
    for (const v of [undefined, null, 1, 1.5, {}, [], ['6gHV'], true, Symbol('x'), BigInt(1)]) {
      expect(h.decode(v as never, HashType.User)).toBeUndefined();
    }
  });

  it('different salts give different ids that do not cross-decode', () => {
    const other = new HashIds('another salt');
    expect(other.encode(1, HashType.User)).not.toBe('6gHV');
    expect(other.decode('6gHV', HashType.User)).not.toBe(1);
  });

  it('round-trips any id of any type (property)', () => {
    const types = Object.values(HashType);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 48 }), fc.constantFrom(...types), (id, type) => {
      const s = h.encode(id, type);
      expect(s).toMatch(/^[a-zA-Z0-9]+$/);
      expect(h.decode(s, type)).toBe(id);
      for (const other of types) if (other !== type) expect(h.decode(s, other)).toBeUndefined();
    }));
  });

  it('never throws on arbitrary strings (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => {
      const id = h.decode(s, HashType.File);
      if (id !== undefined) expect(h.encode(id, HashType.File)).toBe(s);
    }));
  });
});

describe('boolsets (contract 00 §7)', () => {
  it('encodes the default groups exactly', () => {
    const admin = [P.IsAdmin, P.Share, P.WebDAV, P.ArchiveDownload, P.ArchiveTask, P.WebDAVProxy, P.ShareDownload, P.RemoteDownload, P.RedirectedSource, P.AdvanceDelete, P.IgnoreFileOwnership];
    expect(admin).toEqual([0, 2, 3, 4, 5, 6, 7, 9, 11, 12, 16]);
    expect(Boolset.fromFlags(admin).encode()).toBe('/RoB');
    expect(Boolset.fromFlags([P.Share, P.ShareDownload, P.RedirectedSource]).encode()).toBe('hAg=');
    expect(Boolset.fromFlags([P.IsAnonymous, P.ShareDownload]).encode()).toBe('gg==');
  });

  it('decodes the default groups back to their flags', () => {
    expect(Boolset.decode('/RoB').flags()).toEqual([0, 2, 3, 4, 5, 6, 7, 9, 11, 12, 16]);
    expect(Boolset.decode('hAg=').flags()).toEqual([2, 7, 11]);
    expect(Boolset.decode('gg==').flags()).toEqual([1, 7]);
  });

  it('empty set is "", null/absent decode to empty, flags beyond the array are false', () => {
    expect(new Boolset().encode()).toBe('');
    expect(Boolset.fromFlags([]).encode()).toBe('');
    expect(Boolset.decode(null).flags()).toEqual([]);
    expect(Boolset.decode(undefined).has(0)).toBe(false);
    expect(Boolset.decode('').has(5)).toBe(false);
    expect(Boolset.decode('gg==').has(200)).toBe(false);
  });

  it('emits the shortest byte array but accepts longer ones', () => {
    const b = Boolset.fromFlags([3, 20]);
    b.set(20, false);
    expect(b.encode()).toBe(Buffer.from([0b1000]).toString('base64'));
    const padded = Buffer.from([0x82, 0, 0, 0]).toString('base64');
    expect(Boolset.decode(padded).flags()).toEqual([1, 7]);
    expect(Boolset.decode(padded).encode()).toBe('gg==');
  });

  it('round-trips any flag set (property)', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { maxLength: 20 }), (flags) => {
      const s = Boolset.fromFlags(flags).encode();
      expect(Boolset.decode(s).flags()).toEqual([...flags].sort((a, b) => a - b));
      const max = flags.length ? Math.max(...flags) : -1;
      expect(Buffer.from(s, 'base64').length).toBe(max < 0 ? 0 : (max >> 3) + 1);
    }));
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/http/errors.ts';
import { decodeOptionalPageToken, decodePageToken, encodePageToken, type PageCursor } from '../src/fs/pagination.ts';

const SECRET = 'k'.repeat(64);
const refusedCode = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).code;
  }
  return 0;
};
const b64json = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
const fromToken = (t: string) => JSON.parse(Buffer.from(t, 'base64').toString('utf8'));

const cursorArb: fc.Arbitrary<PageCursor> = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 12 }),
    time: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    string: fc.string({ unit: 'grapheme', maxLength: 40 }),
    int: fc.maxSafeInteger(),
    start_with_file: fc.constant(true),
    level: fc.nat(100),
  },
  { requiredKeys: ['id'] },
);

describe('page tokens', () => {
  it('keep Cloudreve\'s shape: standard base64 of JSON with id and order keys, plus sig', () => {
    const t = encodePageToken(SECRET, { id: 'NVHQ', string: 'a b.txt', start_with_file: true });
    expect(t).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const body = fromToken(t);
    expect(body).toMatchObject({ id: 'NVHQ', string: 'a b.txt', start_with_file: true });
    expect(typeof body.sig).toBe('string');
    expect(Object.keys(body)).toEqual(['id', 'string', 'start_with_file', 'sig']);
    expect(decodePageToken(SECRET, t)).toEqual({ id: 'NVHQ', string: 'a b.txt', start_with_file: true });
  });

  it('round-trips every cursor (property)', () => {
    fc.assert(
      fc.property(cursorArb, fc.string({ maxLength: 20 }), (c, ctx) => {
        expect(decodePageToken(SECRET, encodePageToken(SECRET, c, ctx), ctx)).toEqual(c);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses tampered, forged, foreign and unsigned tokens with 40001', () => {
    const t = encodePageToken(SECRET, { id: 'NVHQ', int: 100 }, 'folder:1|size|asc');
    const body = fromToken(t);
    expect(refusedCode(() => decodePageToken(SECRET, t, 'folder:2|size|asc'))).toBe(40001);
    expect(refusedCode(() => decodePageToken('other-secret', t, 'folder:1|size|asc'))).toBe(40001);
    expect(refusedCode(() => decodePageToken(SECRET, b64json({ ...body, int: 99 }), 'folder:1|size|asc'))).toBe(40001);
    expect(refusedCode(() => decodePageToken(SECRET, b64json({ ...body, id: 'XXXX' }), 'folder:1|size|asc'))).toBe(40001);
    expect(refusedCode(() => decodePageToken(SECRET, b64json({ ...body, start_with_file: true }), 'folder:1|size|asc'))).toBe(40001);
    expect(refusedCode(() => decodePageToken(SECRET, b64json({ ...body, extra: 1 }), 'folder:1|size|asc'))).toBe(40001);
    expect(refusedCode(() => decodePageToken(SECRET, b64json({ id: 'NVHQ' })))).toBe(40001); // CE-style unsigned
    expect(refusedCode(() => decodePageToken(SECRET, b64json({ id: 'NVHQ', sig: '' })))).toBe(40001);
    expect(decodePageToken(SECRET, t, 'folder:1|size|asc')).toEqual({ id: 'NVHQ', int: 100 });
  });

  it('refuses garbage with 40001, never another error', () => {
    for (const bad of [undefined, null, 5, {}, '', '!!!!', 'abc', 'e30=', b64json([]), b64json('x'), b64json(null), b64json({ id: 5, sig: 'x' }), b64json({ id: '', sig: 'x' }), 'A'.repeat(5000), Buffer.from('{not json').toString('base64'), 'eyJpZCI6Ik5WSFEifQ']) {
      expect(refusedCode(() => decodePageToken(SECRET, bad)), String(bad).slice(0, 30)).toBe(40001);
    }
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.base64String({ maxLength: 200 })), (s) => {
        expect(refusedCode(() => decodePageToken(SECRET, s))).toBe(40001);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses any single-character change of a valid token (property)', () => {
    const t = encodePageToken(SECRET, { id: 'NVHQ', time: '2025-01-02T03:04:05Z', string: 'name' });
    fc.assert(
      fc.property(fc.nat(t.length - 1), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'), (i, ch) => {
        const changed = t.slice(0, i) + ch + t.slice(i + 1);
        let decoded: PageCursor | undefined;
        try {
          decoded = decodePageToken(SECRET, changed);
        } catch (e) {
          expect((e as AppError).code).toBe(40001);
          return;
        }
        // Only base64 spellings of the same bytes may pass (padding bits), and then the content is unchanged.
        expect(decoded).toEqual({ id: 'NVHQ', time: '2025-01-02T03:04:05Z', string: 'name' });
      }),
      { numRuns: 1000 },
    );
  });

  it('treats an absent token as the first page', () => {
    expect(decodeOptionalPageToken(SECRET, undefined)).toBeUndefined();
    expect(decodeOptionalPageToken(SECRET, '')).toBeUndefined();
    expect(refusedCode(() => decodeOptionalPageToken(SECRET, 'abcd'))).toBe(40001);
  });

  it('refuses to mint a token for an invalid cursor or without a secret', () => {
    expect(() => encodePageToken(SECRET, { id: '' })).toThrow(TypeError);
    expect(() => encodePageToken(SECRET, { id: 'a', int: 1.5 })).toThrow(TypeError);
    expect(() => encodePageToken('', { id: 'a' })).toThrow(TypeError);
  });
});

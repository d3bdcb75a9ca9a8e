import { describe, expect, it } from 'vitest';
import { generateSavePath, goExt } from '../src/storage/keys.ts';
import { parseRange, evaluatePreconditions, ifRangeAllows } from '../src/http/range.ts';
import { contentDisposition } from '../src/util/disposition.ts';

const base = { userId: 7, folderPath: '/photos/2024', originName: 'My Pic.tar.gz', now: new Date(2024, 0, 2, 3, 4, 5).getTime() };

describe('storage keys from policy rules', () => {
  it('expands Cloudreve placeholders in dir and file rules', () => {
    expect(generateSavePath({ ...base, dirRule: 'uploads/{uid}/{path}', fileRule: '{uid}_{originname}' })).toBe('uploads/7/photos/2024/7_My Pic.tar.gz');
    expect(generateSavePath({ ...base, dirRule: '{year}/{month}/{day}', fileRule: '{hour}{minute}{second}{ext}' })).toBe('2024/01/02/030405.gz');
    expect(generateSavePath({ ...base, dirRule: '{date}', fileRule: '{datetime}_{originname_without_ext}' })).toBe('20240102/20240102030405_My Pic.tar');
    expect(generateSavePath({ ...base, dirRule: 'x', fileRule: '{timestamp}' })).toBe(`x/${Math.floor(base.now / 1000)}`);
    expect(generateSavePath({ ...base, dirRule: 'x', fileRule: '{timestamp_nano}' })).toBe(`x/${base.now}000000`);
    expect(generateSavePath({ ...base, dirRule: 'x', fileRule: '{randomkey8}' })).toMatch(/^x\/[A-Za-z0-9]{8}$/);
    expect(generateSavePath({ ...base, dirRule: 'x', fileRule: '{randomkey16}' })).toMatch(/^x\/[A-Za-z0-9]{16}$/);
    expect(generateSavePath({ ...base, dirRule: 'x', fileRule: '{uuid}' })).toMatch(/^x\/[0-9a-f-]{36}$/);
    expect(generateSavePath({ ...base, dirRule: 'x', fileRule: '{randomnum2}{randomnum3}{randomnum4}{randomnum8}' })).toMatch(/^x\/[01][0-2][0-3][0-7]$/);
  });

  it('keeps unknown placeholders literal, {path} only in the dir rule, file-only names only in the file rule', () => {
    expect(generateSavePath({ ...base, dirRule: '{nope}', fileRule: '{path}{originname}' })).toBe('{nope}/{path}My Pic.tar.gz');
    expect(generateSavePath({ ...base, folderPath: '/', dirRule: 'uploads/{uid}/{path}', fileRule: 'f' })).toBe('uploads/7/f');
    expect(generateSavePath({ ...base, dirRule: '/abs/{uid}', fileRule: 'f' })).toBe('abs/7/f');
  });

  it('takes extensions like Go filepath.Ext', () => {
    expect(goExt('a.tar.gz')).toBe('.gz');
    expect(goExt('.bashrc')).toBe('.bashrc');
    expect(goExt('noext')).toBe('');
  });
});

describe('HTTP ranges, preconditions and dispositions', () => {
  it('parses single ranges and refuses unsatisfiable ones', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'partial', range: { start: 0, end: 9 } });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'partial', range: { start: 90, end: 99 } });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'partial', range: { start: 90, end: 99 } });
    expect(parseRange('bytes=-1000', 100)).toEqual({ kind: 'partial', range: { start: 0, end: 99 } });
    expect(parseRange('bytes=50-5000', 100)).toEqual({ kind: 'partial', range: { start: 50, end: 99 } });
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=100-200', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    for (const ignored of ['bytes=0-1,3-4', 'items=0-1', 'bytes=5-1', 'bytes=x-y', 'bytes=-', undefined]) expect(parseRange(ignored, 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'full' });
  });

  it('evaluates preconditions in RFC 9110 order', () => {
    const v = { etag: '"abc"', lastModified: Date.UTC(2024, 0, 1) };
    expect(evaluatePreconditions({ ifNoneMatch: '"abc"' }, v)).toBe('not_modified');
    expect(evaluatePreconditions({ ifNoneMatch: 'W/"abc"' }, v)).toBe('not_modified');
    expect(evaluatePreconditions({ ifNoneMatch: '*' }, v)).toBe('not_modified');
    expect(evaluatePreconditions({ ifNoneMatch: '"x", "y"' }, v)).toBe('proceed');
    expect(evaluatePreconditions({ ifMatch: '"x"' }, v)).toBe('precondition_failed');
    expect(evaluatePreconditions({ ifMatch: 'W/"abc"' }, v)).toBe('precondition_failed');
    expect(evaluatePreconditions({ ifUnmodifiedSince: new Date(Date.UTC(2023, 0, 1)).toUTCString() }, v)).toBe('precondition_failed');
    expect(evaluatePreconditions({ ifModifiedSince: new Date(Date.UTC(2024, 0, 1)).toUTCString() }, v)).toBe('not_modified');
    expect(evaluatePreconditions({ ifModifiedSince: new Date(Date.UTC(2023, 0, 1)).toUTCString() }, v)).toBe('proceed');
    // If-None-Match wins over If-Modified-Since.
    expect(evaluatePreconditions({ ifNoneMatch: '"x"', ifModifiedSince: new Date(Date.UTC(2025, 0, 1)).toUTCString() }, v)).toBe('proceed');
    expect(ifRangeAllows('"abc"', v)).toBe(true);
    expect(ifRangeAllows('W/"abc"', v)).toBe(false);
    expect(ifRangeAllows(new Date(v.lastModified).toUTCString(), v)).toBe(true);
    expect(ifRangeAllows('garbage', v)).toBe(false);
  });

  it('builds header-safe Content-Disposition values', () => {
    expect(contentDisposition('attachment', 'a b.txt')).toBe('attachment; filename="a b.txt"');
    expect(contentDisposition('inline', '文件.pdf')).toBe(`inline; filename="__.pdf"; filename*=UTF-8''%E6%96%87%E4%BB%B6.pdf`);
    expect(contentDisposition('attachment', 'x\r\nSet-Cookie: a=b')).toBe(`attachment; filename="x__Set-Cookie: a=b"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a%3Db`);
    expect(contentDisposition('attachment', 'q"uo\\te\'s (1)*.txt')).toBe(`attachment; filename="q_uo_te's (1)*.txt"; filename*=UTF-8''q%22uo%5Cte%27s%20%281%29%2A.txt`);
  });
});

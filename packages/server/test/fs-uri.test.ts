import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileUri, InvalidUriError, formatUri, parseSearchQuery, type FileSystem } from '../src/fs/uri.ts';
import { isValidName } from '../src/fs/names.ts';

const parse = (s: string) => FileUri.parse(s);
const refusal = (s: unknown) => {
  try {
    FileUri.parse(s);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidUriError);
    return (e as InvalidUriError).code;
  }
  throw new Error(`accepted ${String(s)}`);
};

describe('File URI: contract §1.1 examples', () => {
  it('parses and re-formats every example unchanged', () => {
    for (const s of [
      'cloudreve://my',
      'cloudreve://my/Docs/a%20b.txt',
      'cloudreve://trash/7c1e0f5e-3b53-4b8a-9d59-6a4c3e0c8e11',
      'cloudreve://shared_with_me',
      'cloudreve://VoMFL:2rje2bdj@share/folder/child?name=my%20file',
      'cloudreve://my?category=image',
    ]) {
      expect(parse(s).toString()).toBe(s);
    }
  });

  it('splits filesystem, user part, decoded elements and query', () => {
    const u = parse('cloudreve://VoMFL:2rje2bdj@share/folder/child?name=my%20file');
    expect(u.fs).toBe('share');
    expect(u.fsId).toBe('VoMFL');
    expect(u.password).toBe('2rje2bdj');
    expect(u.elements).toEqual(['folder', 'child']);
    expect(u.path).toBe('/folder/child');
    expect(u.name).toBe('child');
    expect(u.rawQuery).toBe('name=my%20file');
    expect(parse('cloudreve://my/Docs/a%20b.txt').elements).toEqual(['Docs', 'a b.txt']);
    expect(parse('cloudreve://my').elements).toEqual([]);
    expect(parse('cloudreve://my').isRoot).toBe(true);
    expect(parse('cloudreve://my').name).toBe('');
    expect(parse('cloudreve://Xa3k@my').fsId).toBe('Xa3k');
  });
});

describe('File URI: parsing rules §1.2', () => {
  it('requires the exact, case-sensitive cloudreve scheme', () => {
    expect(refusal('http://my/a')).toBe(40001);
    expect(refusal('Cloudreve://my')).toBe(40001);
    expect(refusal('cloudreve:my')).toBe(40001);
    expect(refusal('')).toBe(40001);
    expect(refusal(undefined)).toBe(40001);
    expect(refusal(42)).toBe(40001);
  });

  it('lower-cases the filesystem host and refuses unknown filesystems', () => {
    expect(parse('cloudreve://MY/a').fs).toBe('my');
    expect(parse('cloudreve://Shared_With_Me').fs).toBe('shared_with_me');
    expect(parse('cloudreve://TRASH').fs).toBe('trash');
    for (const s of ['cloudreve://', 'cloudreve://other', 'cloudreve://my:80/a', 'cloudreve://m%79', 'cloudreve://shared_by_me', 'cloudreve:///a', 'cloudreve://my.']) {
      expect(refusal(s)).toBe(40001);
    }
    expect(() => parse('cloudreve://nope')).toThrow('Unknown file system');
  });

  it('strips a trailing slash and cleans the path', () => {
    expect(parse('cloudreve://my/').toString()).toBe('cloudreve://my');
    expect(parse('cloudreve://my/').isSame(parse('cloudreve://my'))).toBe(true);
    expect(parse('cloudreve://my/a/./b/../c').path).toBe('/a/c');
    expect(parse('cloudreve://my/a//b/').elements).toEqual(['a', 'b']);
    expect(parse('cloudreve://my/../../x').elements).toEqual(['x']);
    // Decoding happens before cleaning (Go url.Parse + path.Clean): encoded dots and slashes cannot
    // produce an element that climbs out, they are cleaned like literal ones.
    expect(parse('cloudreve://my/a/%2e%2e/%2E%2E/b').elements).toEqual(['b']);
    expect(parse('cloudreve://my/a%2Fb').elements).toEqual(['a', 'b']);
  });

  it('decodes path elements and keeps backslashes and other legal bytes verbatim', () => {
    expect(parse('cloudreve://my/%E4%BD%A0%E5%A5%BD/%F0%9F%98%80.png').elements).toEqual(['你好', '😀.png']);
    expect(parse('cloudreve://my/100%25').elements).toEqual(['100%']);
    expect(parse('cloudreve://my/a%23b%3Fc').elements).toEqual(['a#b?c']);
    expect(parse('cloudreve://my/a+b').elements).toEqual(['a+b']);
    expect(parse('cloudreve://my/a%5Cb').elements).toEqual(['a\\b']);
    expect(parse('cloudreve://my/raw space/é').elements).toEqual(['raw space', 'é']);
    expect(parse('cloudreve://my/a%c3%a9').elements).toEqual(['aé']);
  });

  it('refuses malformed escapes, invalid UTF-8 and control characters', () => {
    for (const s of [
      'cloudreve://my/a%',
      'cloudreve://my/a%2',
      'cloudreve://my/a%zz',
      'cloudreve://my/%C3',
      'cloudreve://my/%FF',
      'cloudreve://my/%ED%A0%80',
      'cloudreve://my/a%00b',
      'cloudreve://my/a%0Ab',
      'cloudreve://my/a%7Fb',
      'cloudreve://my/a\u0000b',
      'cloudreve://my/a\nb',
      'cloudreve://my/\ud800',
      'cloudreve://a%zz@share',
      'cloudreve://a%00@share',
      'cloudreve://a b@share',
    ]) {
      expect(refusal(s), s).toBe(40001);
    }
    expect(refusal(`cloudreve://my/${'a'.repeat(70000)}`)).toBe(40001);
  });

  it('drops the fragment and keeps the raw query', () => {
    const u = parse('cloudreve://my/a?name=x&type=file#frag');
    expect(u.elements).toEqual(['a']);
    expect(u.rawQuery).toBe('name=x&type=file');
    expect(parse('cloudreve://my/a%23b#c').elements).toEqual(['a#b']);
  });

  it('reads the user part as the filesystem id (§1.2.5)', () => {
    expect(parse('cloudreve://my').id('me')).toBe('me');
    expect(parse('cloudreve://Xa3k@my').id('me')).toBe('Xa3k');
    expect(parse('cloudreve://trash').id('me')).toBe('me');
    expect(parse('cloudreve://share').id('me')).toBe('');
    expect(parse('cloudreve://@my').fsId).toBeUndefined();
    expect(parse('cloudreve://VoMFL@share').password).toBeUndefined();
    expect(parse('cloudreve://VoMFL:@share').password).toBeUndefined();
    const u = parse('cloudreve://VoMFL:p%40ss%3Aw@share');
    expect(u.password).toBe('p@ss:w');
    expect(u.toString()).toBe('cloudreve://VoMFL:p%40ss%3Aw@share');
    // Go splits user info at the LAST '@'.
    expect(parse('cloudreve://a@b@share').fsId).toBe('a@b');
  });

  it('compares "same file" by filesystem, id and cleaned decoded path (§1.3)', () => {
    expect(parse('cloudreve://my/a%20b').isSame(parse('cloudreve://my/a b/'))).toBe(true);
    expect(parse('cloudreve://my/a%20b').isSame(parse('cloudreve://MY/x/../a%20b?name=1'))).toBe(true);
    expect(parse('cloudreve://my/a').isSame(parse('cloudreve://trash/a'))).toBe(false);
    expect(parse('cloudreve://my/a').isSame(parse('cloudreve://u1@my/a'), 'u1')).toBe(true);
    expect(parse('cloudreve://my/a').isSame(parse('cloudreve://u2@my/a'), 'u1')).toBe(false);
    expect(parse('cloudreve://my/A').isSame(parse('cloudreve://my/a'))).toBe(false);
  });
});

describe('File URI: formatting §1.3', () => {
  it('encodes elements exactly like encodeURIComponent (upper-case hex, %20 for space)', () => {
    expect(formatUri({ fs: 'my', elements: ['Docs', 'a b.txt'] })).toBe('cloudreve://my/Docs/a%20b.txt');
    expect(formatUri({ fs: 'my', elements: ["A-Z_a.z~0!*'()9"] })).toBe("cloudreve://my/A-Z_a.z~0!*'()9");
    expect(formatUri({ fs: 'my', elements: ['a+b&c=d;e,f$g@h'] })).toBe('cloudreve://my/a%2Bb%26c%3Dd%3Be%2Cf%24g%40h');
    expect(formatUri({ fs: 'my', elements: ['50% #1?'] })).toBe('cloudreve://my/50%25%20%231%3F');
    expect(formatUri({ fs: 'my', elements: ['[x]{y}^`|\\'] })).toBe('cloudreve://my/%5Bx%5D%7By%7D%5E%60%7C%5C');
    expect(formatUri({ fs: 'my', elements: ['你好', 'é', '😀'] })).toBe('cloudreve://my/%E4%BD%A0%E5%A5%BD/%C3%A9/%F0%9F%98%80');
    expect(formatUri({ fs: 'share', fsId: 'VoMFL', password: '2rje2bdj', elements: ['folder'] })).toBe('cloudreve://VoMFL:2rje2bdj@share/folder');
    expect(formatUri({ fs: 'share', fsId: 'VoMFL' })).toBe('cloudreve://VoMFL@share');
    expect(formatUri({ fs: 'my', fsId: 'Xa3k' })).toBe('cloudreve://Xa3k@my');
    expect(formatUri({ fs: 'my', rawQuery: 'category=image' })).toBe('cloudreve://my?category=image');
  });

  it('matches what the web client builds for the same names', () => {
    // Client: new URL('http://my'); pathname = names.map(encodeURIComponent).join('/'); swap scheme back; strip trailing '/'.
    const clientBuild = (names: string[]) => {
      const url = new URL('http://my');
      url.pathname = '/' + names.map((p) => encodeURIComponent(p)).join('/');
      return url.toString().replace('http://', 'cloudreve://').replace(/\/$/, '');
    };
    fc.assert(
      fc.property(fc.array(validName(), { maxLength: 4 }), (names) => {
        expect(formatUri({ fs: 'my', elements: names })).toBe(clientBuild(names));
      }),
    );
  });

  it('refuses elements that cannot be names in a path', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a\u0000', 'x\u001f', '\udc00']) {
      expect(() => formatUri({ fs: 'my', elements: [bad] }), JSON.stringify(bad)).toThrow(InvalidUriError);
      expect(() => parse('cloudreve://my').join(bad)).toThrow(InvalidUriError);
    }
    expect(() => formatUri({ fs: 'nope' as FileSystem })).toThrow(InvalidUriError);
  });
});

describe('File URI: helpers', () => {
  it('join / joinPath / parent / root / name', () => {
    const base = parse('cloudreve://VoMFL:pw@share/a?name=x');
    expect(base.join('b c', 'd').toString()).toBe('cloudreve://VoMFL:pw@share/a/b%20c/d');
    expect(base.joinPath('x/./y/../z').toString()).toBe('cloudreve://VoMFL:pw@share/a/x/z');
    expect(base.joinPath('../../..').toString()).toBe('cloudreve://VoMFL:pw@share');
    expect(base.parent().toString()).toBe('cloudreve://VoMFL:pw@share');
    expect(base.parent().parent().toString()).toBe('cloudreve://VoMFL:pw@share');
    expect(base.root().toString()).toBe('cloudreve://VoMFL:pw@share');
    expect(base.withoutQuery().toString()).toBe('cloudreve://VoMFL:pw@share/a');
    expect(parse('cloudreve://my/a/b.txt').name).toBe('b.txt');
    expect(FileUri.root('trash').toString()).toBe('cloudreve://trash');
  });

  it('isEqualOrDescendantOf / relativeTo compare whole elements', () => {
    const a = parse('cloudreve://my/a');
    expect(parse('cloudreve://my/a/b/c').isEqualOrDescendantOf(a)).toBe(true);
    expect(parse('cloudreve://my/a').isEqualOrDescendantOf(a)).toBe(true);
    expect(parse('cloudreve://my/ab').isEqualOrDescendantOf(a)).toBe(false);
    expect(parse('cloudreve://trash/a/b').isEqualOrDescendantOf(a)).toBe(false);
    expect(parse('cloudreve://my/a/b/c').relativeTo(a)).toEqual(['b', 'c']);
    expect(parse('cloudreve://my/x').relativeTo(a)).toBeUndefined();
    expect(parse('cloudreve://my/a/b').isEqualOrDescendantOf(parse('cloudreve://my'))).toBe(true);
  });

  it('tryParse returns undefined for malformed input', () => {
    expect(FileUri.tryParse('nope')).toBeUndefined();
    expect(FileUri.tryParse('cloudreve://my')?.fs).toBe('my');
  });

  it('serialises as its string in JSON', () => {
    expect(JSON.stringify({ u: parse('cloudreve://my/a%20b') })).toBe('{"u":"cloudreve://my/a%20b"}');
  });
});

describe('File URI: search query §1.6', () => {
  const q = (s: string) => parse(`cloudreve://my?${s}`).search();

  it('is not a search without search parameters', () => {
    expect(parse('cloudreve://my').search()).toBeUndefined();
    expect(q('foo=bar')).toBeUndefined();
    expect(q('case_folding&name_op_or')).toBeUndefined();
    expect(q('size_gte=abc&type=other&category=')).toBeUndefined();
  });

  it('parses several name keywords, AND by default, OR with name_op_or or use_or', () => {
    const s = q('name=report&name=2024')!;
    expect(s.names).toEqual(['report', '2024']);
    expect(s.nameOpOr).toBe(false);
    expect(q('name=a&name_op_or')!.nameOpOr).toBe(true);
    expect(q('name=a&use_or=')!.nameOpOr).toBe(true);
    expect(q('name=my+file')!.names).toEqual(['my file']);
    expect(q('name=my%20file')!.names).toEqual(['my file']);
    expect(q('name=')!.names).toEqual(['']);
  });

  it('compiles name terms: quoted, wildcard (LIKE, escaped) and plain with case folding', () => {
    expect(q('name=%22Exact%22&case_folding')!.nameTerms).toEqual([{ kind: 'contains', text: 'Exact', caseInsensitive: false }]);
    expect(q('name=abc')!.nameTerms).toEqual([{ kind: 'contains', text: 'abc', caseInsensitive: false }]);
    expect(q('name=abc&case_folding')!.nameTerms).toEqual([{ kind: 'contains', text: 'abc', caseInsensitive: true }]);
    expect(q('name=*.jpg&case_folding')!.nameTerms).toEqual([{ kind: 'like', pattern: '%.jpg', caseInsensitive: true }]);
    expect(q('name=IMG*')!.nameTerms[0]).toEqual({ kind: 'like', pattern: 'IMG%', caseInsensitive: false });
    expect(q('name=a*b')!.nameTerms[0]).toEqual({ kind: 'like', pattern: '%a%b%', caseInsensitive: false });
    expect(q('name=100%25_*')!.nameTerms[0]).toEqual({ kind: 'like', pattern: '100\\%\\_%', caseInsensitive: false });
    expect(q('name=a%5C*')!.nameTerms[0]).toEqual({ kind: 'like', pattern: 'a\\\\%', caseInsensitive: false });
  });

  it('parses category, type, metadata, sizes and times', () => {
    expect(q('category=image')!.category).toBe('image');
    expect(() => q('category=movies')).toThrow(InvalidUriError);
    expect(q('type=file')!.type).toBe('file');
    expect(q('type=folder')!.type).toBe('folder');
    const m = q('meta_tag%3Awork=red&meta_=exif:camera&meta_a=1&meta_a=2&exact_meta_customize%3Aemoji=%F0%9F%98%80')!;
    expect(m.metadata).toEqual([
      { key: 'tag:work', value: 'red', exact: false },
      { key: 'exif:camera', value: '', exact: false },
      { key: 'a', value: '1', exact: false },
      { key: 'customize:emoji', value: '😀', exact: true },
    ]);
    expect(q('meta_sys:restore_uri=' + encodeURIComponent(encodeURI('my doc')))!.metadata).toEqual([
      { key: 'sys:restore_uri', value: 'my%20doc', exact: false },
    ]);
    const n = q('size_gte=10&size_lte=2048&created_gte=1700000000&created_lte=1700000001&updated_gte=-5&updated_lte=%2B7')!;
    expect(n).toMatchObject({ sizeGte: 10, sizeLte: 2048, createdGteMs: 1700000000000, createdLteMs: 1700000001000, updatedGteMs: -5000, updatedLteMs: 7000 });
    expect(q('size_gte=1.5&name=x')!.sizeGte).toBeUndefined();
    expect(q('size_gte=99999999999999999999&name=x')!.sizeGte).toBeUndefined();
    expect(q('size_lte=5')!.sizeGte).toBeUndefined();
  });

  it('skips pairs with bad escapes or semicolons like Go ParseQuery', () => {
    expect(q('name=%zz&name=ok')!.names).toEqual(['ok']);
    expect(q('name=a;b&name=c')!.names).toEqual(['c']);
  });

  it('parses the default category queries', () => {
    const s = parseSearchQuery('type=file&case_folding&use_or&name=*.jpg&name=*.png')!;
    expect(s).toMatchObject({ type: 'file', caseFolding: true, nameOpOr: true, names: ['*.jpg', '*.png'] });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const special = fc.constantFrom(' ', '%', '#', '?', '&', '=', '+', '@', ':', ';', '.', '~', "'", '(', ')', '!', '*', '\\', '%2F', '%2e', '%25', 'é', '你', '😀', 'e\u0301', '\u00a0', '\u200b', '\ufeff');
/** A name per §4.1 (the URI must carry any valid name). */
export function validName(): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), special), { minLength: 1, maxLength: 8 })
    .map((parts) => parts.join(''))
    .filter((s) => isValidName(s));
}

const anyPathElement = fc
  .oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), fc.array(special, { minLength: 1, maxLength: 5 }).map((p) => p.join('')))
  .filter((s) => s !== '.' && s !== '..' && !s.includes('/') && !/[\u0000-\u001f\u007f]/.test(s) && !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')));

describe('File URI: properties', () => {
  it('format → parse round-trips for arbitrary valid names', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<FileSystem>('my', 'trash', 'shared_with_me', 'share'),
        fc.option(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)), { nil: undefined }),
        fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), { nil: undefined }),
        fc.array(validName(), { maxLength: 5 }),
        (fs, fsId, password, elements) => {
          const s = formatUri({ fs, fsId, password: fsId ? password : undefined, elements });
          const u = parse(s);
          expect(u.fs).toBe(fs);
          expect(u.fsId).toBe(fsId);
          expect(u.elements).toEqual(elements);
          if (fsId) expect(u.password).toBe(password);
          expect(u.toString()).toBe(s);
          // The path part of the string contains no raw reserved character.
          const root = formatUri({ fs, fsId, password: fsId ? password : undefined });
          expect(s.slice(root.length)).toMatch(/^(\/[A-Za-z0-9\-_.!~*'()%]+)*$/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips any element the URI can carry (not only valid names)', () => {
    fc.assert(
      fc.property(fc.array(anyPathElement, { maxLength: 4 }), (elements) => {
        expect(parse(formatUri({ fs: 'my', elements })).elements).toEqual(elements);
      }),
      { numRuns: 500 },
    );
  });

  it('parse never throws anything but InvalidUriError, and its result re-parses to itself', () => {
    const chunks = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.constantFrom('/', '%', '%2', '%2e', '%2F', '%25', '..', '.', '@', ':', '?', '#', '&', '=', 'my', 'share', '\\', '%00', '%C3', '%E4%BD%A0'),
    );
    fc.assert(
      fc.property(fc.constantFrom('cloudreve://', 'cloudreve://my', 'cloudreve://x@share', 'Cloudreve://', ''), fc.array(chunks, { maxLength: 8 }), (prefix, parts) => {
        const input = prefix + parts.join('');
        let u: FileUri;
        try {
          u = FileUri.parse(input);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidUriError);
          return;
        }
        for (const e of u.elements) expect(e === '' || e === '.' || e === '..' || e.includes('/')).toBe(false);
        const again = FileUri.parse(u.toString());
        expect(again.toString()).toBe(u.toString());
        expect(again.isSame(u)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/http/errors.ts';
import {
  assertPolicyAllowsName, assertValidName, fileExtension, isValidName, nameViolation, policyNameFields, policyNameViolation,
} from '../src/fs/names.ts';

const codeOf = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).code;
  }
  return 0;
};

/** The valid set, written independently of the implementation (contract 20 §4.1 + our control-char rule). */
function specValid(s: string): boolean {
  if (s.length === 0) return false;
  try {
    encodeURIComponent(s); // throws URIError on a lone surrogate
  } catch {
    return false;
  }
  if (new TextEncoder().encode(s).length > 255) return false;
  for (const ch of s) {
    if ('\\/:*?"<>|'.includes(ch)) return false;
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return false;
  }
  return s !== '.' && s !== '..';
}

describe('object names (§4.1)', () => {
  it('accepts ordinary, Unicode and edge-length names byte-exact', () => {
    for (const n of ['a', 'report.pdf', 'a b', ' lead and trail ', '...', '.hidden', 'x.', '你好.txt', '😀', 'e\u0301', 'é', '100%', "it's (1) [x] {y} #&+=;,@!~`^$", 'a'.repeat(255), '你'.repeat(85), '😀'.repeat(63) + 'abc']) {
      expect(isValidName(n), n).toBe(true);
      expect(codeOf(() => assertValidName(n))).toBe(0);
    }
  });

  it('refuses with 40052: empty, too long, illegal characters, dot names, control characters, broken Unicode', () => {
    const bad = ['', '.', '..', 'a'.repeat(256), '你'.repeat(86), '😀'.repeat(64), 'a/b', 'a\\b', 'a:b', 'a*b', 'a?b', 'a"b', 'a<b', 'a>b', 'a|b', 'a\u0000b', 'a\tb', 'a\nb', 'a\u001fb', 'a\u007fb', 'a\u0085b', 'a\u009fb', '\ud800', 'x\udc00y'];
    for (const n of bad) {
      expect(isValidName(n), JSON.stringify(n)).toBe(false);
      expect(codeOf(() => assertValidName(n))).toBe(40052);
    }
    expect(codeOf(() => assertValidName(undefined))).toBe(40052);
    expect(codeOf(() => assertValidName(5))).toBe(40052);
    expect(nameViolation('a:b')).toBe('Name contains illegal characters');
  });

  it('does not normalize: NFC and NFD spellings are both valid and distinct', () => {
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    expect(isValidName(nfc) && isValidName(nfd)).toBe(true);
    expect(nfc).not.toBe(nfd);
  });

  it('accepts exactly the valid set (property)', () => {
    const tricky = fc.constantFrom('\\', '/', ':', '*', '?', '"', '<', '>', '|', '.', '\u0000', '\u001f', '\u007f', '\u0080', '\ud800', '\udc00', 'é', '😀', ' ', '%2f');
    const arb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 140 }),
      fc.array(fc.oneof(tricky, fc.string({ maxLength: 3 })), { maxLength: 12 }).map((a) => a.join('')),
      fc.constantFrom('.', '..', '...'),
      fc.integer({ min: 250, max: 260 }).map((n) => 'a'.repeat(n)),
      fc.integer({ min: 60, max: 66 }).map((n) => '😀'.repeat(n)),
    );
    fc.assert(fc.property(arb, (s) => {
      expect(isValidName(s)).toBe(specValid(s));
    }), { numRuns: 3000 });
  });
});

describe('storage policy name rules', () => {
  it('extracts extensions like Go filepath.Ext, lower-cased', () => {
    expect(fileExtension('a.TXT')).toBe('txt');
    expect(fileExtension('a.tar.gz')).toBe('gz');
    expect(fileExtension('.bashrc')).toBe('bashrc');
    expect(fileExtension('noext')).toBe('');
    expect(fileExtension('dot.')).toBe('');
  });

  it('allow-list of extensions (CE file_type)', () => {
    const s = { file_type: ['jpg', '.PNG'] };
    expect(policyNameViolation('a.jpg', s)).toBeUndefined();
    expect(policyNameViolation('a.JPG', s)).toBeUndefined();
    expect(policyNameViolation('a.png', s)).toBeUndefined();
    expect(policyNameViolation('a.gif', s)).toBeDefined();
    expect(policyNameViolation('jpg', s)).toBeDefined();
    expect(codeOf(() => assertPolicyAllowsName('a.exe', s))).toBe(40052);
    expect(policyNameViolation('a.exe', { file_type: [] })).toBeUndefined();
    expect(policyNameViolation('a.exe', { file_type: null })).toBeUndefined();
    expect(policyNameViolation('a.exe', {})).toBeUndefined();
  });

  it('deny-list of extensions', () => {
    const s = { file_type: ['exe', 'bat'], is_file_type_deny_list: true };
    expect(policyNameViolation('a.exe', s)).toBeDefined();
    expect(policyNameViolation('a.EXE', s)).toBeDefined();
    expect(policyNameViolation('a.txt', s)).toBeUndefined();
    expect(policyNameViolation('noext', s)).toBeUndefined();
  });

  it('name regexp, allow and deny', () => {
    expect(policyNameViolation('IMG_1.jpg', { file_regexp: '^IMG_' })).toBeUndefined();
    expect(policyNameViolation('x.jpg', { file_regexp: '^IMG_' })).toBeDefined();
    expect(policyNameViolation('secret.txt', { file_regexp: 'secret', is_name_regexp_deny_list: true })).toBeDefined();
    expect(policyNameViolation('public.txt', { file_regexp: 'secret', is_name_regexp_deny_list: true })).toBeUndefined();
    // Broken rule fails closed.
    expect(policyNameViolation('a.txt', { file_regexp: '(' })).toBeDefined();
    expect(codeOf(() => assertPolicyAllowsName('a.txt', { file_regexp: '(' }))).toBe(40052);
  });

  it('derives the user-facing StoragePolicy fields', () => {
    expect(policyNameFields({ file_type: ['jpg'] })).toEqual({ allowed_suffix: ['jpg'] });
    expect(policyNameFields({ file_type: ['exe'], is_file_type_deny_list: true, file_regexp: 'x', is_name_regexp_deny_list: true })).toEqual({
      denied_suffix: ['exe'], denied_name_regexp: 'x',
    });
    expect(policyNameFields({ file_type: null, file_regexp: '' })).toEqual({});
  });
});

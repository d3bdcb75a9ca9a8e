import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { childElements, parseXml, serializeFragment, textContent, XmlError, type XmlElement, type XmlNode } from '../src/webdav/xml.ts';
import { encodeSegment, hrefOf, parseDavPath, parseDestination } from '../src/webdav/paths.ts';
import { DavError } from '../src/webdav/errors.ts';
import { coreToken, parseIfHeader } from '../src/webdav/locking.ts';
import { parseTimeout } from '../src/webdav/methods/lock.ts';
import { FileUri } from '../src/fs/uri.ts';

/** Pure parts of the WebDAV server: the XML parser, the path gate, If headers, timeouts. */

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DavError) return e.status;
    throw e;
  }
  return 0;
};

describe('WebDAV XML parser', () => {
  it('resolves namespaces, default namespaces and xml:lang', () => {
    const root = parseXml(`<?xml version="1.0" encoding="utf-8"?>
      <D:propertyupdate xmlns:D="DAV:" xmlns="urn:default" xml:lang="de"><D:set><D:prop><a xml:lang="en">x</a><b xmlns=""/><p:c xmlns:p="urn:p"/></D:prop></D:set></D:propertyupdate>`);
    expect(root).toMatchObject({ ns: 'DAV:', local: 'propertyupdate', lang: 'de' });
    const prop = childElements(childElements(root)[0]!)[0]!;
    expect(childElements(prop).map((e) => [e.ns, e.local, e.lang])).toEqual([['urn:default', 'a', 'en'], ['', 'b', 'de'], ['urn:p', 'c', 'de']]);
  });

  it('decodes entities, character references and CDATA; keeps text exactly', () => {
    const el = parseXml('<x>a &lt;b&gt; &amp; &quot;&apos; &#65;&#x1F600; <![CDATA[<raw> & ]]>\r\nend</x>');
    expect(textContent(el)).toBe('a <b> & "\' A😀 <raw> & \nend');
  });

  it('refuses what is not well-formed', () => {
    for (const bad of [
      '', '<a>', '<a></b>', '<a/><b/>', 'text<a/>', '<a b="1" b="2"/>', '<a b=1/>', '<p:a/>', '<a xmlns:p=""/>', '<a>&bogus;</a>',
      '<a>&amp</a>', '<a>&#0;</a>', '<a b="<"/>', '<!DOCTYPE a><a/>', '<a>]]></a>', '<a><!-- -- --></a>', '<a>\u0001</a>',
      '<?xml version="1.0" encoding="iso-2022-jp"?><a/>', '<a xmlns:xml="urn:x"/>', '<xmlns:a/>', `${'<a>'.repeat(200)}${'</a>'.repeat(200)}`,
      '<a/><?xml version="1.0"?>', '<a:b:c xmlns:a="urn:a"/>',
    ]) {
      expect(() => parseXml(bad), JSON.stringify(bad.slice(0, 40))).toThrow(XmlError);
    }
  });

  /** Structural view of a tree for comparing (namespace + local names, attributes, merged text). */
  function shape(nodes: XmlNode[]): unknown[] {
    const out: unknown[] = [];
    for (const n of nodes) {
      if (n.kind === 'text') {
        if (typeof out[out.length - 1] === 'string') out[out.length - 1] += n.text;
        else if (n.text) out.push(n.text);
      } else out.push({ ns: n.ns, local: n.local, attrs: n.attrs.map((a) => `${a.ns}|${a.local}=${a.value}`).sort(), kids: shape(n.children) });
    }
    return out;
  }

  const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9._-]{0,6}$/);
  const nsUri = fc.constantFrom('', 'DAV:', 'urn:a', 'http://example.com/x?y&z', 'urn:"quoted"');
  const text = fc.string({ maxLength: 12 }).map((s) => s.replace(/[^\t\n\x20-\uD7FF\uE000-\uFFFD]/g, ''));
  const tree: fc.Memo<XmlElement> = fc.memo((depth: number) =>
    fc.record({
      kind: fc.constant('element' as const),
      ns: nsUri,
      local: name,
      attrs: fc.uniqueArray(fc.record({ ns: nsUri, local: name, value: text }), { maxLength: 3, selector: (a) => `${a.ns}|${a.local}` }),
      children: depth <= 0 ? fc.constant([]) : fc.array(fc.oneof(text.map((t) => ({ kind: 'text' as const, text: t })), tree(depth - 1)), { maxLength: 4 }),
      lang: fc.constant(''),
    }));

  it('serializeFragment output re-parses to the same tree wherever it is placed (property)', () => {
    fc.assert(fc.property(fc.array(tree(3), { minLength: 1, maxLength: 3 }), (nodes) => {
      const xml = serializeFragment(nodes);
      const wrapped = parseXml(`<D:prop xmlns:D="DAV:" xmlns:R="urn:other"><R:holder>${xml}</R:holder></D:prop>`);
      const holder = childElements(wrapped)[0]!;
      expect(shape(holder.children)).toEqual(shape(nodes));
    }), { numRuns: 300 });
  });
});

describe('WebDAV path gate', () => {
  it('decodes segments once and ignores empty ones', () => {
    expect(parseDavPath('/dav')).toEqual([]);
    expect(parseDavPath('/dav/')).toEqual([]);
    expect(parseDavPath('/dav//a//b%20c/?q=1')).toEqual(['a', 'b c']);
    expect(parseDavPath('/dav/%252e%252e/%23x%25')).toEqual(['%2e%2e', '#x%']);
    expect(parseDavPath('/dav/%E6%97%A5%E6%9C%AC')).toEqual(['日本']);
    expect(parseDavPath(Buffer.from('/dav/日本', 'utf8').toString('latin1'))).toEqual(['日本']);
  });

  it('refuses traversal, encoded separators, controls and bad encodings with 400', () => {
    for (const p of ['/dav/..', '/dav/.', '/dav/a/../b', '/dav/%2e%2e', '/dav/%2E%2e/x', '/dav/a%2Fb', '/dav/a%2fb', '/dav/%00', '/dav/%0a',
      '/dav/%c0%ae%c0%ae', '/dav/%zz', '/dav/%', '/dav/%e6%97', '/dav/.%2E']) {
      expect(status(() => parseDavPath(p)), p).toBe(400);
    }
    expect(status(() => parseDavPath('/davx/a'))).toBe(404);
    expect(status(() => parseDavPath('/api/v4/file'))).toBe(404);
  });

  it('never yields an element that could leave the root, and href round-trips (property)', () => {
    const root = FileUri.parse('cloudreve://my/base');
    fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('..', '.', '%2e%2e', '%2f', '%252e', '%c0%ae', '%00', 'a%2Fb')), { maxLength: 6 }), (segs) => {
      let els: string[];
      try {
        els = parseDavPath(`/dav/${segs.join('/')}`);
      } catch (e) {
        expect(e).toBeInstanceOf(DavError);
        return;
      }
      for (const e of els) {
        expect(e).not.toBe('');
        expect(e).not.toBe('.');
        expect(e).not.toBe('..');
        expect(e.includes('/')).toBe(false);
      }
      let uri: FileUri;
      try {
        uri = root.join(...els);
      } catch {
        return; // an invalid name is refused later, never resolved
      }
      expect(uri.isEqualOrDescendantOf(root)).toBe(true);
      expect(uri.elements.slice(0, 1)).toEqual(['base']);
      expect(parseDavPath(hrefOf(els, false))).toEqual(els);
    }), { numRuns: 1000 });
  });

  it('encodes every reserved character of a name in hrefs', () => {
    expect(encodeSegment("a b#c%d?e&f'g(h)*!")).toBe('a%20b%23c%25d%3Fe%26f%27g%28h%29%2A%21');
    expect(hrefOf([], true)).toBe('/dav/');
    expect(hrefOf(['x', 'y z'], true)).toBe('/dav/x/y%20z/');
  });

  it('parses Destination headers: same host only, inside the mount only', () => {
    expect(parseDestination('http://h:1/dav/a/b%20c', 'h:1')).toEqual(['a', 'b c']);
    expect(parseDestination('/dav/x', 'h:1')).toEqual(['x']);
    expect(status(() => parseDestination('http://other/dav/x', 'h:1'))).toBe(502);
    expect(status(() => parseDestination('http://h:1/api/v4/x', 'h:1'))).toBe(502);
    expect(status(() => parseDestination('http://h:1/dav/../x', 'h:1'))).toBe(400);
    expect(status(() => parseDestination(undefined, 'h:1'))).toBe(400);
    expect(status(() => parseDestination('ftp://h:1/dav/x', 'h:1'))).toBe(400);
  });
});

describe('WebDAV If header and timeouts', () => {
  it('parses tagged and untagged lists with Not, tokens and entity tags', () => {
    expect(parseIfHeader('(<opaquelocktoken:a> ["e1"]) (Not <DAV:no-lock>)')).toEqual([
      { resource: undefined, conditions: [{ not: false, token: 'opaquelocktoken:a' }, { not: false, etag: '"e1"' }] },
      { resource: undefined, conditions: [{ not: true, token: 'DAV:no-lock' }] },
    ]);
    expect(parseIfHeader('<http://h/dav/c/> (<urn:uuid:x>) <http://h/dav/d> ([W/"w"])')).toEqual([
      { resource: 'http://h/dav/c/', conditions: [{ not: false, token: 'urn:uuid:x' }] },
      { resource: 'http://h/dav/d', conditions: [{ not: false, etag: 'W/"w"' }] },
    ]);
    for (const bad of ['', '()', '(<a>', '<http://h/x>', 'junk', '(<a>) <http://h/x> (<b>)', '([etag)']) {
      expect(status(() => parseIfHeader(bad)), bad).toBe(400);
    }
  });

  it('maps wire lock tokens to core tokens', () => {
    const u = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
    expect(coreToken(`opaquelocktoken:${u}`)).toBe(u);
    expect(coreToken(`urn:uuid:${u.toUpperCase()}`)).toBe(u);
    expect(coreToken(u)).toBe(u);
    expect(coreToken('opaquelocktoken:not-a-uuid')).toBeUndefined();
    expect(coreToken('DAV:no-lock')).toBeUndefined();
  });

  it('parses Timeout headers with a cap', () => {
    expect(parseTimeout(undefined)).toBe(3600);
    expect(parseTimeout('Second-60')).toBe(60);
    expect(parseTimeout('Infinite, Second-4100000000')).toBe(86400);
    expect(parseTimeout('Second-4100000000')).toBe(86400);
    expect(parseTimeout('garbage, Second-5')).toBe(5);
    expect(parseTimeout('Second-0')).toBe(1);
  });
});

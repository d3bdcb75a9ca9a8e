/**
 * A small, strict, namespace-aware XML 1.0 parser for WebDAV request bodies (PROPFIND, PROPPATCH,
 * LOCK) and a serializer for dead-property values.
 *
 * Bodies are untrusted: DOCTYPE declarations are refused (no entity expansion of any kind), nesting
 * depth and size are bounded, and anything not well-formed — including an undeclared namespace
 * prefix — is an XmlError, which the server answers with 400.
 */

export const DAV_NS = 'DAV:';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface XmlAttr { ns: string; local: string; value: string }
export interface XmlElement {
  kind: 'element';
  ns: string;
  local: string;
  attrs: XmlAttr[];
  children: XmlNode[];
  /** In-scope xml:lang ('' when none). */
  lang: string;
}
export interface XmlText { kind: 'text'; text: string }
export type XmlNode = XmlElement | XmlText;

export class XmlError extends Error {}

const MAX_DEPTH = 128;
const INVALID_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME_START = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NAME_RE = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*`, 'u');
const NCNAME_RE = new RegExp(`^[${NAME_START.slice(1)}][${NAME_CHAR.slice(1)}]*$`, 'u');

const fail = (msg: string): never => {
  throw new XmlError(msg);
};

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) fail('Unterminated entity reference');
    switch (body) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'apos': return "'";
      case 'quot': return '"';
    }
    const num = /^#x([0-9a-fA-F]{1,6})$/.exec(body) ?? /^#([0-9]{1,7})$/.exec(body);
    if (!num) return fail(`Unknown entity &${body.slice(0, 20)};`);
    const cp = parseInt(num[1]!, body[1] === 'x' ? 16 : 10);
    if (!isXmlChar(cp)) fail('Character reference to an invalid character');
    return String.fromCodePoint(cp);
  });
}

interface OpenTag { el: XmlElement; qname: string; scope: Map<string, string> }

/**
 * Parses a whole document and returns its root element. Comments and processing instructions are
 * dropped; text is kept exactly (entities decoded, line ends normalised to \n as XML requires).
 */
export function parseXml(input: string): XmlElement {
  let src = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (INVALID_CHAR.test(src)) fail('Invalid character in document');
  src = src.replace(/\r\n?/g, '\n');
  let pos = 0;
  let root: XmlElement | undefined;
  const stack: OpenTag[] = [];
  const baseScope = new Map<string, string>([['xml', XML_NS]]);

  const startsWith = (s: string) => src.startsWith(s, pos);
  const skipWs = () => {
    while (pos < src.length && /[ \t\n]/.test(src[pos]!)) pos++;
  };
  const readName = (): string => {
    const m = NAME_RE.exec(src.slice(pos, pos + 1024));
    if (!m) return fail('Invalid name');
    pos += m[0].length;
    return m[0];
  };
  const splitQName = (q: string): [string, string] => {
    const i = q.indexOf(':');
    if (i < 0) {
      if (!NCNAME_RE.test(q)) fail('Invalid name');
      return ['', q];
    }
    const prefix = q.slice(0, i);
    const local = q.slice(i + 1);
    if (!NCNAME_RE.test(prefix) || !NCNAME_RE.test(local)) fail('Invalid qualified name');
    return [prefix, local];
  };

  if (startsWith('<?xml') && /[ \t\n?]/.test(src[5] ?? '')) {
    const end = src.indexOf('?>', pos);
    if (end < 0) fail('Unterminated XML declaration');
    const decl = src.slice(5, end);
    if (!/^\s+version\s*=\s*(['"])1\.[0-9]+\1/.test(decl)) fail('Invalid XML declaration');
    const enc = /encoding\s*=\s*(['"])([A-Za-z][A-Za-z0-9._-]*)\1/.exec(decl)?.[2]?.toLowerCase();
    if (enc && !['utf-8', 'utf8', 'us-ascii', 'ascii'].includes(enc)) fail(`Unsupported encoding ${enc}`);
    pos = end + 2;
  }

  while (pos < src.length) {
    if (src[pos] !== '<') {
      const next = src.indexOf('<', pos);
      const raw = src.slice(pos, next < 0 ? src.length : next);
      pos = next < 0 ? src.length : next;
      if (raw.includes(']]>')) fail('"]]>" in text');
      const top = stack[stack.length - 1];
      if (!top) {
        if (/[^ \t\n]/.test(raw)) fail('Text outside the root element');
        continue;
      }
      top.el.children.push({ kind: 'text', text: decodeEntities(raw) });
      continue;
    }
    if (startsWith('<!--')) {
      const end = src.indexOf('-->', pos + 4);
      if (end < 0) fail('Unterminated comment');
      if (src.slice(pos + 4, end).includes('--') || src[end - 1] === '-') fail('"--" in comment');
      pos = end + 3;
      continue;
    }
    if (startsWith('<?')) {
      pos += 2;
      const target = readName();
      if (target.toLowerCase() === 'xml') fail('Misplaced XML declaration');
      const end = src.indexOf('?>', pos);
      if (end < 0) fail('Unterminated processing instruction');
      pos = end + 2;
      continue;
    }
    if (startsWith('<![CDATA[')) {
      const top = stack[stack.length - 1];
      if (!top) fail('CDATA outside the root element');
      const end = src.indexOf(']]>', pos + 9);
      if (end < 0) fail('Unterminated CDATA section');
      top!.el.children.push({ kind: 'text', text: src.slice(pos + 9, end) });
      pos = end + 3;
      continue;
    }
    if (startsWith('<!')) fail('DOCTYPE and declarations are not accepted');
    if (startsWith('</')) {
      pos += 2;
      const qname = readName();
      skipWs();
      if (src[pos] !== '>') fail('Malformed end tag');
      pos++;
      const top = stack.pop();
      if (!top || top.qname !== qname) fail(`Mismatched end tag </${qname.slice(0, 64)}>`);
      continue;
    }

    // Start tag.
    pos++;
    if (root && stack.length === 0) fail('More than one root element');
    if (stack.length >= MAX_DEPTH) fail('Document nested too deeply');
    const qname = readName();
    const rawAttrs: [string, string][] = [];
    let selfClosing = false;
    for (;;) {
      const before = pos;
      skipWs();
      if (startsWith('/>')) {
        pos += 2;
        selfClosing = true;
        break;
      }
      if (src[pos] === '>') {
        pos++;
        break;
      }
      if (pos === before) fail('Malformed start tag');
      const an = readName();
      skipWs();
      if (src[pos] !== '=') fail('Attribute without value');
      pos++;
      skipWs();
      const q = src[pos];
      if (q !== '"' && q !== "'") fail('Unquoted attribute value');
      const end = src.indexOf(q!, pos + 1);
      if (end < 0) fail('Unterminated attribute value');
      const rawVal = src.slice(pos + 1, end);
      if (rawVal.includes('<')) fail('"<" in attribute value');
      if (rawAttrs.some(([n]) => n === an)) fail('Duplicate attribute');
      rawAttrs.push([an, decodeEntities(rawVal).replace(/[\t\n]/g, ' ')]);
      pos = end + 1;
    }

    const parent = stack[stack.length - 1];
    const scope = new Map(parent?.scope ?? baseScope);
    let lang = parent?.el.lang ?? '';
    for (const [n, v] of rawAttrs) {
      if (n === 'xmlns') {
        if (v === XML_NS || v === XMLNS_NS) fail('Reserved namespace bound as default');
        scope.set('', v);
      } else if (n.startsWith('xmlns:')) {
        const p = n.slice(6);
        if (!NCNAME_RE.test(p)) fail('Invalid namespace prefix');
        if (v === '') fail(`Empty namespace name for prefix ${p}`);
        if (p === 'xmlns' || (p === 'xml') !== (v === XML_NS) || v === XMLNS_NS) fail('Reserved namespace prefix misused');
        scope.set(p, v);
      }
    }
    const [prefix, local] = splitQName(qname);
    if (prefix === 'xmlns') fail('Element with the xmlns prefix');
    const ns = prefix ? scope.get(prefix) : scope.get('') ?? '';
    if (ns === undefined) fail(`Undeclared namespace prefix "${prefix.slice(0, 64)}"`);
    const attrs: XmlAttr[] = [];
    for (const [n, v] of rawAttrs) {
      if (n === 'xmlns' || n.startsWith('xmlns:')) continue;
      const [ap, al] = splitQName(n);
      const ans = ap ? scope.get(ap) : '';
      if (ans === undefined) fail(`Undeclared namespace prefix "${ap.slice(0, 64)}"`);
      if (attrs.some((a) => a.ns === ans && a.local === al)) fail('Duplicate attribute');
      attrs.push({ ns: ans!, local: al, value: v });
      if (ans === XML_NS && al === 'lang') lang = v;
    }
    const el: XmlElement = { kind: 'element', ns: ns!, local, attrs, children: [], lang };
    if (parent) parent.el.children.push(el);
    else root = el;
    if (!selfClosing) stack.push({ el, qname, scope });
  }
  if (stack.length) fail('Unclosed element');
  if (!root) fail('No root element');
  return root!;
}

/** Child elements of `el`, optionally only those named {ns}local. */
export function childElements(el: XmlElement, ns?: string, local?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element' && (ns === undefined || (c.ns === ns && c.local === local)));
}

/** Concatenated text content (descendants included). */
export function textContent(el: XmlElement): string {
  return el.children.map((c) => (c.kind === 'text' ? c.text : textContent(c))).join('');
}

/** True when the element holds only whitespace text (no child elements). */
export function isBlank(nodes: XmlNode[]): boolean {
  return nodes.every((c) => c.kind === 'text' && /^[ \t\n]*$/.test(c.text));
}

export const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');

/**
 * Serializes nodes as a self-contained fragment: every element declares the namespaces it uses
 * (elements through the default namespace, attributes through generated prefixes), so the result
 * means the same wherever it is placed — inside any element that leaves the default namespace
 * empty.
 */
export function serializeFragment(nodes: XmlNode[]): string {
  let out = '';
  let generated = 0;
  const walk = (list: XmlNode[], defaultNs: string, prefixes: Map<string, string>) => {
    for (const n of list) {
      if (n.kind === 'text') {
        out += escapeText(n.text).replace(/\r/g, '&#13;');
        continue;
      }
      let decls = '';
      if (n.ns !== defaultNs) decls += ` xmlns="${escapeAttr(n.ns)}"`;
      const scope = new Map(prefixes);
      let attrs = '';
      for (const a of n.attrs) {
        let name = a.local;
        if (a.ns === XML_NS) name = `xml:${a.local}`;
        else if (a.ns !== '') {
          let p = scope.get(a.ns);
          if (!p) {
            p = `a${generated++}`;
            scope.set(a.ns, p);
            decls += ` xmlns:${p}="${escapeAttr(a.ns)}"`;
          }
          name = `${p}:${a.local}`;
        }
        attrs += ` ${name}="${escapeAttr(a.value)}"`;
      }
      out += `<${n.local}${decls}${attrs}`;
      if (!n.children.length) {
        out += '/>';
        continue;
      }
      out += '>';
      walk(n.children, n.ns, scope);
      out += `</${n.local}>`;
    }
  };
  walk(nodes, '', new Map());
  return out;
}

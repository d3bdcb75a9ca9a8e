import { Readable } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../../http/errors.ts';
import { Cap, requireCaps } from '../../fs/capability.ts';
import { walkSubtree } from '../../fs/tree.ts';
import type { FileRow } from '../../fs/types.ts';
import { existing, hidesSystemFiles, isFolder, isSystemFileName, lockNs, lockPathAt, resolveAt, type DavContext } from '../context.ts';
import { readXmlBody } from '../body.ts';
import { DavError } from '../errors.ts';
import { loadDeadProps, loadEntityProps, OC_NS, renderResponse, type DavResource, type PropContext, type PropName, type PropRequest } from '../props.ts';
import { header, XML_PROLOG, XML_TYPE, type DavReply, type DavRequest } from '../types.ts';
import { childElements, DAV_NS, type XmlElement } from '../xml.ts';

const BATCH = 500;
/** Multistatus bodies up to this many characters are sent with a Content-Length. */
const BUFFERED_LIMIT = 256 * 1024;

const finiteDepth = () => new DavError(403, 'PROPFIND with Depth: infinity is not allowed', { condition: 'propfind-finite-depth' });

function propNames(el: XmlElement): PropName[] {
  return childElements(el).map((c) => ({ ns: c.ns, local: c.local }));
}

/** The PROPFIND body (RFC 4918 §14.20); no body = allprop. Invalid structure → 400. */
export function parsePropfind(root: XmlElement | undefined): PropRequest {
  if (!root) return { kind: 'allprop', include: [] };
  if (root.ns !== DAV_NS || root.local !== 'propfind') throw new DavError(400, 'Body is not a DAV:propfind element');
  const kids = childElements(root).filter((c) => c.ns === DAV_NS);
  const pick = (local: string) => kids.filter((c) => c.local === local);
  const [allprop, propname, prop, include] = [pick('allprop'), pick('propname'), pick('prop'), pick('include')];
  if (allprop.length + propname.length + prop.length > 1) throw new DavError(400, 'propfind must hold exactly one of allprop, propname, prop');
  if (prop.length) return { kind: 'prop', props: propNames(prop[0]!) };
  if (propname.length) return { kind: 'propname' };
  return { kind: 'allprop', include: include.flatMap(propNames) };
}

/** `Depth` of PROPFIND: 0, 1 or infinity (the default); anything else → 400. */
function parseDepth(v: string | undefined): '0' | '1' | 'infinity' {
  if (v === undefined) return 'infinity';
  const d = v.trim().toLowerCase();
  if (d === '0' || d === '1' || d === 'infinity') return d;
  throw new DavError(400, 'Invalid Depth header');
}

/**
 * PROPFIND: a 207 multistatus streamed in batches (one query per batch of children plus batched
 * metadata/entity lookups), so a folder of any size never builds its answer in one piece.
 * `Depth: infinity` is refused (403 propfind-finite-depth) unless setting
 * `webdav_propfind_infinity` = 1, and then bounded by the group's max_walked_files.
 */
export async function propfind(dc: DavContext, req: DavRequest): Promise<DavReply> {
  const depth = parseDepth(header(req.headers, 'depth'));
  if (depth === 'infinity' && !dc.ctx.settings.bool('webdav_propfind_infinity')) throw finiteDepth();
  const what = parsePropfind(await readXmlBody(req.body));
  const r = await resolveAt(dc, req.elements);
  const target = existing(r);
  if (hidesSystemFiles(dc) && req.elements.length && isSystemFileName(req.elements[req.elements.length - 1]!)) throw new DavError(404, 'Not found');
  if (depth !== '0' && isFolder(target)) requireCaps(r.nav.caps, Cap.ListChildren);

  const tx = dc.ctx.db.kysely;
  const wantsChecksums = what.kind === 'prop' && what.props.some((p) => p.ns === OC_NS && p.local === 'checksums');
  const locks = await dc.fm.locks.list(lockNs(dc), lockPathAt(dc, req.elements));
  const mimeMapping = dc.ctx.settings.json<Record<string, string>>('mime_mapping', {});
  const hide = hidesSystemFiles(dc);

  const render = async (items: DavResource[]): Promise<string> => {
    const files = items.map((i) => i.file);
    const pc: PropContext = {
      dc, locks, mimeMapping,
      dead: await loadDeadProps(tx, files.map((f) => f.id)),
      entityProps: wantsChecksums ? await loadEntityProps(tx, files) : new Map(),
    };
    return items.map((i) => renderResponse(pc, i, what)).join('');
  };

  let walked: DavResource[] | undefined;
  if (depth === 'infinity' && isFolder(target)) {
    try {
      const { rows } = await walkSubtree(tx, [target], dc.fm.maxWalked(dc.user));
      walked = withPaths(target, req.elements, rows, hide);
    } catch (e) {
      if (e instanceof AppError && e.code === Code.FileCountLimitedReached) throw finiteDepth();
      throw e;
    }
  }

  async function* body(): AsyncGenerator<string> {
    yield `${XML_PROLOG}<D:multistatus xmlns:D="DAV:">`;
    if (walked) {
      for (let i = 0; i < walked.length; i += BATCH) yield await render(walked.slice(i, i + BATCH));
    } else {
      yield await render([{ elements: req.elements, file: target }]);
      if (depth === '1' && isFolder(target)) {
        let after = 0;
        for (;;) {
          const rows = await tx.selectFrom('files').selectAll().where('parent_id', '=', target.id).where('id', '>', after)
            .orderBy('id').limit(BATCH).execute();
          if (!rows.length) break;
          after = rows[rows.length - 1]!.id;
          const items = rows.filter((f) => !(hide && isSystemFileName(f.name))).map((f) => ({ elements: [...req.elements, f.name], file: f }));
          if (items.length) yield await render(items);
          if (rows.length < BATCH) break;
        }
      }
    }
    yield '</D:multistatus>';
  }

  // Small answers go out in one piece with a Content-Length (some clients handle chunked 207s
  // poorly); large ones are streamed as they are produced.
  const gen = body();
  const head: string[] = [];
  let size = 0;
  for (let n = await gen.next(); ; n = await gen.next()) {
    if (n.done) return { status: 207, headers: { 'Content-Type': XML_TYPE }, body: Buffer.from(head.join(''), 'utf8') };
    head.push(n.value);
    size += n.value.length;
    if (size > BUFFERED_LIMIT) break;
  }
  async function* rest(): AsyncGenerator<string> {
    yield* head;
    yield* gen;
  }
  return { status: 207, headers: { 'Content-Type': XML_TYPE }, body: Readable.from(rest()) };
}

/** Paths of a breadth-first walk (parents always come before their children). */
function withPaths(root: FileRow, rootElements: string[], rows: FileRow[], hide: boolean): DavResource[] {
  const paths = new Map<number, string[] | null>([[root.id, rootElements]]);
  const out: DavResource[] = [];
  for (const f of rows) {
    if (f.id === root.id) {
      out.push({ elements: rootElements, file: f });
      continue;
    }
    const parent = f.parent_id === null ? undefined : paths.get(f.parent_id);
    if (!parent || (hide && isSystemFileName(f.name))) {
      paths.set(f.id, null);
      continue;
    }
    const els = [...parent, f.name];
    paths.set(f.id, els);
    out.push({ elements: els, file: f });
  }
  return out;
}

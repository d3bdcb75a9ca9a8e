import { Cap, requireCaps } from '../../fs/capability.ts';
import { inTx } from '../../fs/db-errors.ts';
import * as metadata from '../../fs/metadata.ts';
import { existing, hidesSystemFiles, hrefFor, isSystemFileName, lockPathAt, lockReq, resolveAt, type DavContext } from '../context.ts';
import { readXmlBody } from '../body.ts';
import { DavError } from '../errors.ts';
import { effectiveTokens, evaluateIf, requireWritable } from '../locking.ts';
import { deadPropKey, encodeDeadValue, isProtected, propTag, statusLine, type PropName } from '../props.ts';
import { header, xmlReply, type DavReply, type DavRequest } from '../types.ts';
import { childElements, DAV_NS, serializeFragment } from '../xml.ts';

const MAX_KEY_BYTES = 255;
const MAX_VALUE_BYTES = 65535;

interface PatchOp { set: boolean; name: PropName; lang: string; inner: string }

/**
 * PROPPATCH (RFC 4918 §9.2): dead properties stored as `dav:<ns>|<local>` metadata (contract 50
 * §2.3). All instructions apply in document order, atomically: when one fails (a protected live
 * property → 403, a name or value too large → 507) nothing is written and the others report 424.
 * [OURS] read-only accounts cannot PROPPATCH (CE lets it through).
 */
export async function proppatch(dc: DavContext, req: DavRequest): Promise<DavReply> {
  const root = await readXmlBody(req.body);
  if (!root || root.ns !== DAV_NS || root.local !== 'propertyupdate') throw new DavError(400, 'Body must be a DAV:propertyupdate element');
  const ops: PatchOp[] = [];
  for (const instr of childElements(root)) {
    if (instr.ns !== DAV_NS || (instr.local !== 'set' && instr.local !== 'remove')) continue;
    for (const prop of childElements(instr, DAV_NS, 'prop')) {
      for (const p of childElements(prop)) {
        ops.push({ set: instr.local === 'set', name: { ns: p.ns, local: p.local }, lang: p.lang, inner: serializeFragment(p.children) });
      }
    }
  }
  if (!ops.length) throw new DavError(400, 'propertyupdate holds no property');

  const r = await resolveAt(dc, req.elements);
  const file = existing(r);
  if (hidesSystemFiles(dc) && req.elements.length && isSystemFileName(req.elements[req.elements.length - 1]!)) throw new DavError(404, 'Not found');
  requireCaps(r.nav.caps, Cap.UpdateMetadata);
  dc.fm.requireOwner(dc.user, r);
  const submitted = await evaluateIf(dc, header(req.headers, 'if'), req.elements);
  const tokens = await effectiveTokens(dc, submitted.tokens, [lockPathAt(dc, req.elements)]);
  const reqs = [lockReq(dc, r, 'updateMetadata', 0)];
  await requireWritable(dc, reqs, tokens);

  const failures = new Map<number, number>();
  ops.forEach((op, i) => {
    if (isProtected(op.name)) failures.set(i, 403);
    else if (Buffer.byteLength(deadPropKey(op.name)) > MAX_KEY_BYTES) failures.set(i, 507);
    else if (op.set && Buffer.byteLength(encodeDeadValue(op.lang, op.inner)) > MAX_VALUE_BYTES) failures.set(i, 507);
  });

  if (!failures.size) {
    await dc.fm.withLocks(dc.user, r.nav, reqs, () => inTx(dc.ctx.db, async (trx) => {
      const now = dc.ctx.now();
      for (const op of ops) {
        const key = deadPropKey(op.name);
        if (op.set) await metadata.upsert(trx, [file.id], [{ key, value: encodeDeadValue(op.lang, op.inner) }], now);
        else await metadata.remove(trx, [file.id], [key]);
      }
    }), tokens);
  }

  const byStatus = new Map<number, string[]>();
  ops.forEach((op, i) => {
    const status = failures.size ? failures.get(i) ?? 424 : 200;
    byStatus.set(status, [...(byStatus.get(status) ?? []), propTag(op.name).empty]);
  });
  const propstats = [...byStatus].map(([s, props]) => `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>${statusLine(s)}</D:status></D:propstat>`).join('');
  return xmlReply(207, `<D:multistatus xmlns:D="DAV:"><D:response><D:href>${hrefFor(req.elements, file)}</D:href>${propstats}</D:response></D:multistatus>`);
}

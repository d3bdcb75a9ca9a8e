import type { FastifyReply, FastifyRequest } from 'fastify';
import { pipeline } from 'node:stream';
import { contentDisposition } from '../../util/disposition.ts';
import { evaluatePreconditions, ifRangeAllows, parseRange, type Validators } from '../../http/range.ts';
import { sniff, typeByName } from '../../http/mime.ts';
import type { StorageDriver } from '../../storage/driver.ts';
import { throttle } from '../../storage/throttle.ts';

export interface BlobToServe {
  driver: StorageDriver;
  key: string;
  size: number;
  modifiedAt: number;
  etag: string;
  name: string;
  download: boolean;
  /** Bytes per second, 0 = unlimited. */
  speed: number;
  maxAge: number;
  contentType?: string;
  mimeMapping?: Record<string, string>;
}

/** Streams a blob the way the content route does (contract 30 §2.2): validators, ranges, CSP sandbox, speed limit. */
export async function serveBlob(req: FastifyRequest, reply: FastifyReply, b: BlobToServe): Promise<FastifyReply> {
  const v: Validators = { etag: b.etag, lastModified: b.modifiedAt };
  reply.header('etag', v.etag).header('accept-ranges', 'bytes').header('access-control-allow-origin', '*')
    .header('cache-control', `public, max-age=${b.maxAge}`);
  if (b.modifiedAt) reply.header('last-modified', new Date(b.modifiedAt).toUTCString());
  if (req.method === 'GET') reply.header('content-security-policy', 'sandbox');
  reply.header('content-disposition', contentDisposition(b.download ? 'attachment' : 'inline', b.name));
  const h = req.headers;
  const str = (x: string | string[] | undefined) => (Array.isArray(x) ? x.join(', ') : x);
  const pre = evaluatePreconditions({
    ifMatch: str(h['if-match']), ifNoneMatch: str(h['if-none-match']), ifModifiedSince: str(h['if-modified-since']), ifUnmodifiedSince: str(h['if-unmodified-since']),
  }, v);
  if (pre === 'not_modified') return reply.code(304).send();
  if (pre === 'precondition_failed') return reply.code(412).send();

  let type = b.contentType ?? typeByName(b.name, b.mimeMapping);
  if (!type && b.size > 0 && req.method === 'GET') {
    const head: Buffer[] = [];
    for await (const c of await b.driver.get(b.key, { range: { start: 0, end: Math.min(b.size, 512) - 1 } })) head.push(c as Buffer);
    type = sniff(Buffer.concat(head));
  }
  reply.header('content-type', type ?? 'application/octet-stream');

  const range = parseRange(ifRangeAllows(str(h['if-range']), v) ? str(h.range) : undefined, b.size);
  if (range.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${b.size}`).header('content-type', 'text/plain; charset=utf-8');
    return reply.code(416).send('Requested Range Not Satisfiable');
  }
  const start = range.kind === 'partial' ? range.range.start : 0;
  const end = range.kind === 'partial' ? range.range.end : b.size - 1;
  const length = b.size === 0 ? 0 : end - start + 1;
  if (range.kind === 'partial') reply.code(206).header('content-range', `bytes ${start}-${end}/${b.size}`);
  reply.header('content-length', String(length));
  if (req.method === 'HEAD' || length === 0) return reply.send();
  const stream = await b.driver.get(b.key, range.kind === 'partial' ? { range: { start, end } } : {});
  if (b.speed <= 0) return reply.send(stream);
  const limited = throttle(b.speed);
  pipeline(stream, limited, () => undefined);
  return reply.send(limited);
}

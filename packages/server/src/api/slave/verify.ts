import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { AppError } from '../../http/errors.ts';
import { AUTH_PREFIX, decodePathBytes, isRequestSigned, requestContent, verifySignature } from '../../services/node-auth.ts';

/** Largest JSON body a node RPC accepts. */
const RPC_BODY_LIMIT = 4 * 1024 * 1024;

/** Reads a raw (stream) request body completely, at most `limit` bytes (more → 40001). */
export async function readRawBody(req: FastifyRequest, limit = RPC_BODY_LIMIT): Promise<Buffer> {
  const body = req.body as Readable | undefined;
  if (!body || typeof (body as Readable).on !== 'function') return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > limit) throw new AppError(Code.ParamErr, 'Request body too large');
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

/** Path part of the raw request URL (still percent-encoded) and its `sign` query parameter. */
export function rawPathAndSign(req: FastifyRequest): { rawPath: string; sign?: string } {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  const sign = q >= 0 ? new URLSearchParams(url.slice(q + 1)).get('sign') ?? undefined : undefined;
  return { rawPath, sign };
}

export interface NodeVerifyOptions {
  /** Refuse a signature seen before (RPC calls); not for upload credentials and signed URLs. */
  oneTime?: boolean;
  /** Signature from `?sign=` (signed URLs) instead of the Authorization header. */
  fromQuery?: boolean;
}

/**
 * Verifies that a request was signed with `secret` (contract 50 §3.1): request signing for
 * POST/PUT/PATCH/DELETE (path, X-Cr-* headers, body), path signing otherwise.
 */
export async function verifyNodeRequest(ctx: Ctx, secret: string, req: FastifyRequest, body: Buffer | undefined, opts: NodeVerifyOptions = {}): Promise<void> {
  const { rawPath, sign: querySign } = rawPathAndSign(req);
  let sign: string | undefined;
  if (opts.fromQuery) sign = querySign;
  else {
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !auth.startsWith(AUTH_PREFIX)) throw new AppError(Code.NoPermission, 'Signature is missing');
    sign = auth.slice(AUTH_PREFIX.length);
  }
  const path = decodePathBytes(rawPath);
  const content = opts.fromQuery || !isRequestSigned(req.method) ? path : requestContent(req.method, path, req.raw.headersDistinct, body);
  await verifySignature(secret, content, sign, { now: ctx.now(), replay: opts.oneTime ? ctx.kv : undefined });
}

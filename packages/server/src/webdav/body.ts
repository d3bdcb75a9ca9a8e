import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { DavError } from './errors.ts';
import { parseXml, XmlError, type XmlElement } from './xml.ts';

/** Largest XML request body (PROPFIND / PROPPATCH / LOCK) read into memory. */
export const MAX_XML_BODY = 1024 * 1024;

/** The request announces a body (Content-Length > 0 or a transfer coding). */
export function announcesBody(h: IncomingHttpHeaders): boolean {
  if (h['transfer-encoding']) return true;
  const n = Number(h['content-length'] ?? 0);
  return Number.isFinite(n) && n > 0;
}

/**
 * Reads a small body fully; more than `limit` bytes → 413. The rest of an oversized body is
 * drained (not the socket destroyed), so the client still receives the 413.
 */
export function readSmallBody(body: Readable, limit = MAX_XML_BODY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        parts.push(chunk);
        return;
      }
      cleanup();
      body.resume();
      reject(new DavError(413, 'Request body too large'));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(parts));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new DavError(400, 'Request body could not be read', { cause: e }));
    };
    const cleanup = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
  });
}

/** Parses an XML request body; undefined for an empty body; malformed → 400. */
export async function readXmlBody(body: Readable | undefined): Promise<XmlElement | undefined> {
  if (!body) return undefined;
  const buf = await readSmallBody(body);
  if (buf.length === 0 || /^[\s]*$/.test(buf.toString('latin1'))) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new DavError(400, 'XML body is not valid UTF-8');
  }
  try {
    return parseXml(text);
  } catch (e) {
    if (e instanceof XmlError) throw new DavError(400, `Malformed XML body: ${e.message}`);
    throw e;
  }
}

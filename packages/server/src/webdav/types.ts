import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** What a method handler sees of the HTTP request (after authentication and path parsing). */
export interface DavRequest {
  method: string;
  /** Path elements below the account root (decoded, validated). */
  elements: string[];
  headers: IncomingHttpHeaders;
  /** The raw body stream when the request announced one. */
  body: Readable | undefined;
}

/** What a handler answers. */
export interface DavReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
}

export const XML_TYPE = 'application/xml; charset=utf-8';
export const XML_PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n';

export function xmlReply(status: number, xml: string, headers: Record<string, string> = {}): DavReply {
  return { status, headers: { 'Content-Type': XML_TYPE, ...headers }, body: XML_PROLOG + xml };
}

/** First value of a header. */
export function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

import type { FastifySchema, RouteOptions } from 'fastify';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { TSchema } from '@sinclair/typebox';
import { ResponseEnvelope } from '@cloudreve-ts/protocol';
import type { RouteScope } from './scope.ts';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * Documentation only: the schema of the envelope's `data` on success. Never used to
     * serialize (a `response` schema would make Fastify drop fields it does not list).
     */
    data?: TSchema;
    /** Documentation only: what a non-JSON route answers (file bytes, redirects …). */
    rawResponse?: string;
  }
}

const SCOPE_DOC: Record<RouteScope, string> = {
  public: 'No authentication needed. A valid access token, if sent, makes the request run as that user.',
  user: 'Requires a signed-in user: `Authorization: Bearer <access token>`; anonymous callers get code 401.',
  admin: 'Requires an administrator (group permission bit 0): anonymous callers get code 401, other users code 403.',
  node: 'Master/slave node traffic signed with the node secret (`Authorization: Bearer Cr <signature>`).',
  signed: 'Requires a URL signed by the server (`sign` query parameter); no access token needed.',
  share: 'No authentication needed; only what the share link exposes is reachable.',
};

const ENVELOPE_DOC =
  'Always HTTP 200 with the envelope `{code, data?, msg}`. `code` 0 is success; any other value is an error ' +
  'code (see docs/api.md) and then `correlation_id` identifies the request in the server log.';

const TAGS = [
  ['site', 'Site information and public settings'],
  ['session', 'Sign-in, tokens, passkeys, OpenID'],
  ['user', 'Accounts, profiles, preferences'],
  ['file', 'Files and folders'],
  ['share', 'Share links'],
  ['workflow', 'Background tasks'],
  ['devices', 'WebDAV accounts'],
  ['vas', 'Credits, payments, gift codes'],
  ['admin', 'Administration'],
  ['callback', 'Storage provider callbacks'],
  ['slave', 'Master/slave node protocol'],
] as const;

/**
 * Adds what every operation shares to the OpenAPI document without touching the live route:
 * the envelope as response schema, the caller scope (`x-cr-scope`, security, description).
 */
export function documentRoute({ schema, url, route }: { schema: FastifySchema | undefined; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const { data, rawResponse, ...rest } = (schema ?? {}) as FastifySchema & Record<string, unknown>;
  const scope = route.config?.scope as RouteScope | undefined;
  const out: Record<string, unknown> = { ...rest };
  if (scope) {
    out['x-cr-scope'] = scope;
    out.description = [rest.description, `**Caller:** ${SCOPE_DOC[scope]}`].filter(Boolean).join('\n\n');
    if (scope === 'user' || scope === 'admin') out.security = [{ bearer: [] }];
    else if (scope === 'public' || scope === 'share') out.security = [{ bearer: [] }, {}];
    else out.security = [];
  }
  if (!rest.response) {
    if (rawResponse) out.response = { 200: { description: rawResponse, type: 'null' } };
    else if (url.startsWith('/api/v4')) out.response = { 200: { ...ResponseEnvelope(data), description: ENVELOPE_DOC } };
  }
  return { schema: out as FastifySchema, url };
}

export function swaggerOptions(version: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'cloudreve-ts API',
        version,
        description:
          'Cloudreve v4 compatible API served by cloudreve-ts. ' + ENVELOPE_DOC +
          ' Each operation states its caller scope (`x-cr-scope`). Unknown paths answer HTTP 404 with a plain-text body.',
      },
      servers: [{ url: '/' }],
      tags: TAGS.map(([name, description]) => ({ name, description })),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: documentRoute as FastifyDynamicSwaggerOptions['transform'],
  };
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_SCOPES } from '../src/http/scope.ts';
import { enforceScope } from '../src/http/auth.ts';
import { AppError } from '../src/http/errors.ts';
import type { RouteInfo } from '../src/app.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import type { Client } from './helpers/client.ts';

/**
 * Walks the live router, so every route another module adds is covered without editing this
 * file: each declares a scope, protected ones refuse callers below their scope, and each
 * /api/v4 route is documented in the OpenAPI document.
 */

/** `/file/:id/:name` → `/file/dummy1/dummy2`; wildcards and regex params get plain dummies too. */
function concretePath(url: string): string {
  let i = 0;
  return url
    .replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, () => `dummy${++i}`)
    .replace(/\*/g, 'dummy-rest');
}

/** Sends one request the way a careless or hostile client might: a JSON body that is wrong anyway. */
async function probe(c: Client, r: RouteInfo): Promise<{ status: number; text: string }> {
  const withBody = r.method !== 'GET' && r.method !== 'DELETE' && r.method !== 'OPTIONS';
  const res = await c.raw(r.method, concretePath(r.url), withBody ? { body: { unexpected: true } } : {});
  return { status: res.status, text: await res.text() };
}

const label = (r: RouteInfo) => `${r.method} ${r.url}`;
/** CORS preflights answer without credentials by definition and are not API operations. */
const isPreflight = (r: RouteInfo) => r.method === 'OPTIONS';

describe('route scopes over the live router', () => {
  let ts: TestServer;
  let routes: RouteInfo[];
  let user: Client;

  beforeAll(async () => {
    ts = await startServer({ name: 'sqlite', db: 'sqlite', redis: false });
    routes = ts.server.routes;
    await ts.client().signUpAndIn('admin@example.com'); // first account: administrator
    user = ts.client();
    await user.signUpAndIn('plain@example.com');
  });
  afterAll(async () => ts?.close());

  it('finds the routes and every one declares a known scope', () => {
    expect(routes.length).toBeGreaterThan(3);
    const missing = routes.filter((r) => !r.scope || !ROUTE_SCOPES.includes(r.scope as never)).map(label);
    expect(missing, 'routes without a caller scope').toEqual([]);
  });

  it('every user/admin route under /api/v4 answers 401 to an anonymous caller', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter((x) => (x.scope === 'user' || x.scope === 'admin') && x.url.startsWith('/api/v4'))) {
      const { status, text } = await probe(ts.client(), r);
      let code: unknown;
      try {
        code = JSON.parse(text).code;
      } catch {
        code = undefined;
      }
      if (status !== 200 || code !== 401) wrong.push(`${label(r)} → HTTP ${status} ${text.slice(0, 120)}`);
    }
    expect(wrong, 'protected routes that did not answer code 401 anonymously').toEqual([]);
  });

  it('every admin route answers 403 to a signed-in normal user', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter((x) => x.scope === 'admin')) {
      const { status, text } = await probe(user, r);
      let body: { code?: unknown; msg?: unknown } = {};
      try {
        body = JSON.parse(text);
      } catch { /* reported below */ }
      if (status !== 200 || body.code !== 403 || body.msg !== '') wrong.push(`${label(r)} → HTTP ${status} ${text.slice(0, 120)}`);
    }
    expect(wrong, 'admin routes reachable by a normal user').toEqual([]);
  });

  it('the admin storage/node/file/blob/share/queue routes are registered as admin routes', () => {
    const admin = new Set(routes.filter((r) => r.scope === 'admin').map(label));
    const expected = [
      'POST /api/v4/admin/policy', 'GET /api/v4/admin/policy/:id', 'PUT /api/v4/admin/policy', 'PUT /api/v4/admin/policy/:id', 'DELETE /api/v4/admin/policy/:id', 'POST /api/v4/admin/policy/cors', 'POST /api/v4/admin/policy/test',
      'POST /api/v4/admin/node', 'GET /api/v4/admin/node/:id', 'PUT /api/v4/admin/node', 'PUT /api/v4/admin/node/:id', 'DELETE /api/v4/admin/node/:id',
      'POST /api/v4/admin/file', 'GET /api/v4/admin/file/:id', 'PUT /api/v4/admin/file/:id', 'GET /api/v4/admin/file/url/:id', 'POST /api/v4/admin/file/batch/delete',
      'POST /api/v4/admin/entity', 'GET /api/v4/admin/entity/:id', 'GET /api/v4/admin/entity/url/:id', 'POST /api/v4/admin/entity/batch/delete',
      'POST /api/v4/admin/share', 'GET /api/v4/admin/share/:id', 'POST /api/v4/admin/share/batch/delete',
      'GET /api/v4/admin/queue/metrics', 'POST /api/v4/admin/queue', 'GET /api/v4/admin/queue/:id', 'POST /api/v4/admin/queue/batch/delete', 'POST /api/v4/admin/queue/cleanup',
    ];
    expect(expected.filter((e) => !admin.has(e)), 'admin routes missing or not admin-scoped').toEqual([]);
  });

  it('the admin summary/settings/user/group/tool/audit routes are registered as admin routes', () => {
    const admin = new Set(routes.filter((r) => r.scope === 'admin').map(label));
    const expected = [
      'GET /api/v4/admin/summary', 'POST /api/v4/admin/settings', 'PATCH /api/v4/admin/settings',
      'POST /api/v4/admin/user', 'GET /api/v4/admin/user/:id', 'PUT /api/v4/admin/user', 'PUT /api/v4/admin/user/:id', 'POST /api/v4/admin/user/batch/delete', 'POST /api/v4/admin/user/:id/calibrate',
      'POST /api/v4/admin/group', 'GET /api/v4/admin/group/:id', 'PUT /api/v4/admin/group', 'PUT /api/v4/admin/group/:id', 'DELETE /api/v4/admin/group/:id',
      'POST /api/v4/admin/tool/mail', 'POST /api/v4/admin/tool/thumbExecutable', 'DELETE /api/v4/admin/tool/entityUrlCache', 'GET /api/v4/admin/tool/wopi',
      'POST /api/v4/admin/audit',
    ];
    expect(expected.filter((e) => !admin.has(e)), 'admin routes missing or not admin-scoped').toEqual([]);
  });

  it('the admin gate itself: 401 anonymous, 403 with empty msg for a non-admin, passes an admin', async () => {
    const ctx = ts.server.ctx;
    const { anonymousUser, loadUser } = await import('../src/services/users.ts');
    const fail = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return e as AppError;
      }
      return undefined;
    };
    const anon = await anonymousUser(ctx);
    expect(fail(() => enforceScope('admin', anon))).toMatchObject({ code: 401, message: 'Login required' });
    const plain = (await loadUser(ctx, 2))!;
    expect(fail(() => enforceScope('admin', plain))).toMatchObject({ code: 403, message: '' });
    const admin = (await loadUser(ctx, 1))!;
    expect(fail(() => enforceScope('admin', admin))).toBeUndefined();
    expect(fail(() => enforceScope('user', anon))).toMatchObject({ code: 401 });
    expect(fail(() => enforceScope('user', plain))).toBeUndefined();
  });

  it('node and signed routes do not succeed without credentials', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter((x) => (x.scope === 'node' || x.scope === 'signed') && !isPreflight(x))) {
      const { status, text } = await probe(ts.client(), r);
      let code: unknown;
      try {
        code = JSON.parse(text).code;
      } catch {
        code = undefined;
      }
      const succeeded = status < 400 && (code === 0 || code === undefined);
      if (succeeded) wrong.push(`${label(r)} → HTTP ${status} ${text.slice(0, 120)}`);
    }
    expect(wrong, 'credential-less requests that succeeded').toEqual([]);
  });

  it('every /api/v4 route is in the OpenAPI document with tags, a summary and the envelope', async () => {
    const doc = await (await ts.client().raw('GET', '/api/v4/openapi.json')).json() as {
      paths: Record<string, Record<string, { tags?: string[]; summary?: string; responses?: Record<string, unknown>; 'x-cr-scope'?: string }>>;
    };
    const problems: string[] = [];
    for (const r of routes.filter((x) => x.url.startsWith('/api/v4') && x.url !== '/api/v4/openapi.json' && !isPreflight(x))) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      if (!op) problems.push(`${label(r)}: missing`);
      else {
        if (!op.tags?.length) problems.push(`${label(r)}: no tags`);
        if (!op.summary) problems.push(`${label(r)}: no summary`);
        if (op['x-cr-scope'] !== r.scope) problems.push(`${label(r)}: x-cr-scope ${op['x-cr-scope']} ≠ ${r.scope}`);
        if (!op.responses?.['200']) problems.push(`${label(r)}: no 200 response documented`);
      }
    }
    expect(problems, 'undocumented routes (add tags and summary to the route schema)').toEqual([]);
  });

  it('documents the envelope and request schemas', async () => {
    const doc = await (await ts.client().raw('GET', '/api/v4/openapi.json')).json() as any;
    const signIn = doc.paths['/api/v4/session/token'].post;
    expect(signIn.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['email', 'password']));
    const env = signIn.responses['200'].content['application/json'].schema;
    expect(env.required).toEqual(['code', 'msg']);
    expect(Object.keys(env.properties)).toEqual(expect.arrayContaining(['code', 'data', 'msg', 'correlation_id', 'aggregated_error']));
    const me = doc.paths['/api/v4/user/me'].get;
    expect(me.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v4/openapi.json']).toBeUndefined();
  });
});

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import type { Client } from './helpers/client.ts';
import { createDavAccount, DavClient, rawRequest } from './helpers/webdav.ts';
import { fileManager } from '../src/fs/core.ts';
import { Boolset } from '../src/util/boolset.ts';

const enc = encodeURIComponent;
const sha = (alg: string, s: string | Buffer) => createHash(alg).update(s).digest('hex');
const PROPFIND = (props: string) => `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>${props}</D:prop></D:propfind>`;
const LOCKINFO = (scope = 'exclusive') =>
  `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>tester</D:href></D:owner></D:lockinfo>`;

/** A ReadableStream body, so fetch sends it chunked without Content-Length (what macOS Finder does). */
function chunkedBody(parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(ctrl) {
      for (const p of parts) ctrl.enqueue(new TextEncoder().encode(p));
      ctrl.close();
    },
  });
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`WebDAV server on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let rest: Client;
    let uid: number;
    let dav: DavClient;
    let secret: string;

    const listNames = async (uri: string) => ((await rest.get(`/file?uri=${enc(uri)}&page_size=500`)).data?.files ?? []).map((f: { name: string }) => f.name);
    const setGroup = async (id: number, patch: { max_storage?: number; permissions?: string; settings?: string; speed_limit?: number }) =>
      ts.server.ctx.db.kysely.updateTable('groups').set(patch).where('id', '=', id).execute();

    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: rest, id: uid } = await newUser(ts, 'dav@example.com'));
      await rest.post('/file/create', { uri: 'cloudreve://my/root', type: 'folder' });
      await rest.post('/file/create', { uri: 'cloudreve://my/outside/secret.txt', type: 'file' });
      const acct = await createDavAccount(rest, 'cloudreve://my/root');
      secret = acct.password;
      dav = new DavClient(ts.url, 'dav@example.com', secret);
    }, 120_000);
    afterAll(async () => {
      // Let the last streamed response finish on the server side, so its connection is idle at close.
      await new Promise((r) => setTimeout(r, 200));
      await ts?.close();
    });

    it('authenticates with the e-mail and the account secret; 401 challenges otherwise', async () => {
      const anon = await dav.req('PROPFIND', '/dav/', { auth: null, headers: { depth: '0' } });
      expect(anon.status).toBe(401);
      expect(anon.headers.get('www-authenticate')).toBe('Basic realm="cloudreve"');
      for (const auth of [
        `Basic ${Buffer.from(`dav@example.com:${secret}x`).toString('base64')}`,
        `Basic ${Buffer.from('dav@example.com:password123').toString('base64')}`, // the login password is not a DAV secret
        `Basic ${Buffer.from(`nobody@example.com:${secret}`).toString('base64')}`,
        'Basic !!!', 'Bearer abc', `Bearer ${rest.refreshToken}`, `Bearer ${rest.token}`,
      ]) {
        const r = await dav.req('PROPFIND', '/dav/', { auth, headers: { depth: '0' } });
        expect(r.status, auth).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Basic realm="cloudreve"');
      }
      const upper = new DavClient(ts.url, 'DAV@Example.COM', secret);
      const ok = await upper.req('PROPFIND', '/dav/', { headers: { depth: '0' } });
      expect(ok.status).toBe(207);
      expect(ok.headers.get('cache-control')).toBe('private, no-cache');
      await ts.server.ctx.kv.delete('dav_auth_fail_ip_127.0.0.1', 'dav_auth_fail_ip_::ffff:127.0.0.1', 'dav_auth_fail_account_dav@example.com');
    });

    it('answers OPTIONS without credentials with the DAV compliance classes', async () => {
      const r = await dav.req('OPTIONS', '/dav/', { auth: null });
      expect(r.status).toBe(200);
      expect(r.headers.get('dav')).toBe('1, 2');
      expect(r.headers.get('ms-author-via')).toBe('DAV');
      for (const m of ['PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK', 'COPY', 'MOVE', 'MKCOL', 'PUT']) expect(r.headers.get('allow')).toContain(m);
    });

    it('refuses a group without the WebDAV permission with 403', async () => {
      const { c } = await newUser(ts, 'nodav@example.com');
      const perms = (await ts.server.ctx.db.kysely.selectFrom('groups').select('permissions').where('id', '=', 2).executeTakeFirstOrThrow()).permissions;
      await setGroup(2, { permissions: Boolset.decode(perms).set(3, true).encode() });
      const acct = await createDavAccount(c, 'cloudreve://my');
      const d = new DavClient(ts.url, 'nodav@example.com', acct.password);
      expect((await d.propfind('/dav/', '0')).status).toBe(207);
      await setGroup(2, { permissions: perms });
      expect((await d.propfind('/dav/', '0')).status).toBe(403);
    });

    it('shows only the account root; encoded traversal never leaves it', async () => {
      const top = await dav.propfind('/dav/', '1');
      expect(top.status).toBe(207);
      expect(top.responses[0]!.href).toBe('/dav/');
      expect(top.text).not.toContain('outside');
      for (const path of [
        '/dav/../outside/secret.txt', '/dav/%2e%2e/outside/secret.txt', '/dav/%2E%2E%2Foutside%2Fsecret.txt', '/dav/.%2e/outside/secret.txt',
        '/dav/x/%2e%2e/%2e%2e/outside/secret.txt', '/dav/a%2fb', '/dav/%00', '/dav/%c0%ae%c0%ae/outside', '/dav/./x', '/dav/%zz',
      ]) {
        for (const method of ['GET', 'PROPFIND', 'DELETE']) {
          const r = await rawRequest(ts.url, method, path, { authorization: dav.authorization, depth: '0' });
          expect(r.status, `${method} ${path}`).toBe(400);
        }
      }
      // Doubled encoding is a literal name inside the root, never a parent reference.
      expect((await rawRequest(ts.url, 'GET', '/dav/%252e%252e/outside/secret.txt', { authorization: dav.authorization })).status).toBe(404);
      expect((await dav.put('/dav/%252e%252e', 'literal')).status).toBe(201);
      expect(await listNames('cloudreve://my/root')).toContain('%2e%2e');
      expect(await listNames('cloudreve://my')).toEqual(expect.arrayContaining(['outside', 'root']));
      expect((await listNames('cloudreve://my')).length).toBe(2);
      // Destinations outside the mount or with traversal cannot move anything out.
      await dav.put('/dav/mover.txt', 'm');
      for (const [dest, status] of [
        [`${ts.url}/dav/../outside/stolen.txt`, 400], ['/dav/%2e%2e/outside/stolen.txt', 400], ['/api/v4/file', 502],
        ['http://elsewhere.example/dav/x.txt', 502], [`${ts.url}/dav/a%2Fb`, 400],
      ] as const) {
        const r = await rawRequest(ts.url, 'MOVE', '/dav/mover.txt', { authorization: dav.authorization, destination: dest });
        expect(r.status, dest).toBe(status);
      }
      expect(await listNames('cloudreve://my/outside')).toEqual(['secret.txt']);
      // Another user's account sees their own tree only.
      const { c } = await newUser(ts, 'other@example.com');
      const perms = (await ts.server.ctx.db.kysely.selectFrom('groups').select('permissions').where('id', '=', 2).executeTakeFirstOrThrow()).permissions;
      await setGroup(2, { permissions: Boolset.decode(perms).set(3, true).encode() });
      const o = new DavClient(ts.url, 'other@example.com', (await createDavAccount(c, 'cloudreve://my')).password);
      const theirs = await o.propfind('/dav/', '1');
      expect(theirs.responses.map((r) => r.href)).toEqual(['/dav/']);
      expect((await o.req('GET', '/dav/root/mover.txt')).status).toBe(404);
      await setGroup(2, { permissions: perms });
    });

    it('PUT creates files and new versions; GET/HEAD with Range and conditions; zero-byte files', async () => {
      const created = await dav.put('/dav/a.txt', 'hello world');
      expect(created.status).toBe(201);
      const etag1 = created.headers.get('etag');
      expect(etag1).toMatch(/^"[A-Za-z0-9]+"$/);
      const replaced = await dav.put('/dav/a.txt', 'hello WORLD');
      expect(replaced.status).toBe(204);
      const etag = replaced.headers.get('etag')!;
      expect(etag).not.toBe(etag1);
      const info = await rest.get(`/file/info?uri=${enc('cloudreve://my/root/a.txt')}&extended=true`);
      expect(info.data.size).toBe(11);
      expect(info.data.extended_info.entities.length).toBe(2);

      const get = await dav.req('GET', '/dav/a.txt');
      expect(get.status).toBe(200);
      expect(await get.text()).toBe('hello WORLD');
      expect(get.headers.get('etag')).toBe(etag);
      expect(get.headers.get('accept-ranges')).toBe('bytes');
      expect(get.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const head = await dav.req('HEAD', '/dav/a.txt');
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe('11');
      expect(await head.text()).toBe('');
      const part = await dav.req('GET', '/dav/a.txt', { headers: { range: 'bytes=0-4' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe('bytes 0-4/11');
      expect(await part.text()).toBe('hello');
      const tail = await dav.req('GET', '/dav/a.txt', { headers: { range: 'bytes=-5' } });
      expect(await tail.text()).toBe('WORLD');
      const beyond = await dav.req('GET', '/dav/a.txt', { headers: { range: 'bytes=50-60' } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe('bytes */11');
      expect((await dav.req('GET', '/dav/a.txt', { headers: { 'if-none-match': etag } })).status).toBe(304);
      expect((await dav.req('GET', '/dav/a.txt', { headers: { 'if-match': '"nope"' } })).status).toBe(412);
      const stale = await dav.req('GET', '/dav/a.txt', { headers: { range: 'bytes=0-4', 'if-range': etag1! } });
      expect(stale.status).toBe(200);
      await stale.text();

      expect((await dav.req('PUT', '/dav/empty.txt', { body: '' })).status).toBe(201);
      const empty = await dav.req('GET', '/dav/empty.txt');
      expect(empty.status).toBe(200);
      expect(empty.headers.get('content-length')).toBe('0');
      expect(await empty.text()).toBe('');
      const pf = await dav.propfind('/dav/empty.txt', '0', PROPFIND('<D:getcontentlength/><D:getetag/>'));
      expect(pf.responses[0]!.props.get('{DAV:}getcontentlength')!.el.children).toEqual([{ kind: 'text', text: '0' }]);

      expect((await dav.put('/dav/missing/parent.txt', 'x')).status).toBe(409);
      await dav.req('MKCOL', '/dav/coll');
      expect((await dav.put('/dav/coll', 'x')).status).toBe(405);
      expect((await dav.req('GET', '/dav/coll/')).status).toBe(405);
      await assertCapacityConsistent(ts, uid);
    });

    it('round-trips names with spaces, Unicode, % and # exactly', async () => {
      const names = ['a b.txt', 'ünïcödé 日本語.txt', '100%.txt', '#hash#.txt', 'mixed %20 #x ü.txt', 'emoji 😀.txt', 'plus+and&amp;.txt'];
      await dav.req('MKCOL', `/dav/${enc('名前 folder #1')}`);
      for (const n of names) expect((await dav.put(`/dav/${enc('名前 folder #1')}/${enc(n)}`, `content of ${n}`)).status, n).toBe(201);
      const pf = await dav.propfind(`/dav/${enc('名前 folder #1')}/`, '1', PROPFIND('<D:displayname/>'));
      const hrefs = pf.responses.slice(1).map((r) => decodeURIComponent(r.href.split('/').pop()!));
      expect(hrefs.sort()).toEqual([...names].sort());
      expect(pf.responses[0]!.href).toBe(`/dav/${enc('名前 folder #1')}/`);
      for (const r of pf.responses.slice(1)) {
        const shown = r.props.get('{DAV:}displayname')!.el.children[0];
        expect(shown).toEqual({ kind: 'text', text: decodeURIComponent(r.href.split('/').pop()!) });
      }
      expect((await listNames('cloudreve://my/root/名前 folder #1'.replace(/ /g, '%20').replace(/#/g, '%23'))).sort()).toEqual([...names].sort());
      for (const n of names) expect(await (await dav.req('GET', `/dav/${enc('名前 folder #1')}/${enc(n)}`)).text()).toBe(`content of ${n}`);
      const moved = await dav.req('MOVE', `/dav/${enc('名前 folder #1')}/${enc('100%.txt')}`, { headers: { destination: `${ts.url}/dav/${enc('moved 100% #ü.txt')}` } });
      expect(moved.status).toBe(201);
      expect(await (await dav.req('GET', `/dav/${enc('moved 100% #ü.txt')}`)).text()).toBe('content of 100%.txt');
    });

    it('streams chunked PUTs without Content-Length (macOS Finder), with or without X-Expected-Entity-Length', async () => {
      const withHint = await dav.req('PUT', '/dav/finder.bin', { body: chunkedBody(['abc', 'def', 'ghi']), headers: { 'x-expected-entity-length': '9' } });
      expect(withHint.status).toBe(201);
      expect(await (await dav.req('GET', '/dav/finder.bin')).text()).toBe('abcdefghi');
      const noHint = await dav.req('PUT', '/dav/._finder.bin', { body: chunkedBody(['one ', 'two ', 'three']) });
      expect(noHint.status).toBe(201);
      expect(await (await dav.req('GET', '/dav/._finder.bin')).text()).toBe('one two three');
      // A lying length hint fails cleanly: no file, no upload session, no charged bytes left behind.
      const liar = await dav.req('PUT', '/dav/liar.bin', { body: chunkedBody(['0123456789']), headers: { 'x-expected-entity-length': '4' } });
      expect(liar.status).toBeGreaterThanOrEqual(400);
      expect(liar.status).toBeLessThan(500);
      expect((await dav.req('GET', '/dav/liar.bin')).status).toBe(404);
      expect((await dav.put('/dav/liar.bin', 'fine now')).status).toBe(201);
      await assertCapacityConsistent(ts, uid);
    });

    it('PUT over the free quota is 507 and leaves nothing behind', async () => {
      const used = Number((await ts.server.ctx.db.kysely.selectFrom('users').select('storage').where('id', '=', uid).executeTakeFirstOrThrow()).storage);
      await setGroup(1, { max_storage: used + 100 });
      try {
        expect((await dav.put('/dav/big.bin', 'x'.repeat(200))).status).toBe(507);
        expect((await dav.req('PUT', '/dav/big2.bin', { body: chunkedBody(['x'.repeat(150), 'y'.repeat(150)]) })).status).toBe(507);
        expect((await dav.put('/dav/small.bin', 'x'.repeat(50))).status).toBe(201);
        expect((await dav.req('GET', '/dav/big.bin')).status).toBe(404);
        expect((await dav.req('GET', '/dav/big2.bin')).status).toBe(404);
        const q = await dav.propfind('/dav/', '0', PROPFIND('<D:quota-available-bytes/><D:quota-used-bytes/>'));
        const avail = q.responses[0]!.props.get('{DAV:}quota-available-bytes')!;
        expect(avail.status).toBe(200);
        expect(Number((avail.el.children[0] as { text: string }).text)).toBe(50);
        await assertCapacityConsistent(ts, uid);
      } finally {
        await setGroup(1, { max_storage: 1024 ** 4 });
      }
    });

    it('honours X-OC-Mtime and reports oc:checksums', async () => {
      const body = 'checksummed content';
      const r = await dav.put('/dav/oc.txt', body, { 'x-oc-mtime': '1500000000' });
      expect(r.status).toBe(201);
      expect(r.headers.get('x-oc-mtime')).toBe('accepted');
      const pf = await dav.propfind('/dav/oc.txt', '0', `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:getlastmodified/><oc:checksums/><oc:permissions/></d:prop></d:propfind>`);
      const props = pf.responses[0]!.props;
      expect((props.get('{DAV:}getlastmodified')!.el.children[0] as { text: string }).text).toBe(new Date(1_500_000_000_000).toUTCString());
      const sums = props.get('{http://owncloud.org/ns}checksums')!;
      expect(sums.status).toBe(200);
      const text = ((sums.el.children[0] as { children: { text: string }[] }).children[0]!).text;
      expect(text.split(' ').sort()).toEqual([`MD5:${sha('md5', body)}`, `SHA1:${sha('sha1', body)}`, `SHA256:${sha('sha256', body)}`].sort());
      expect(props.get('{http://owncloud.org/ns}permissions')!.status).toBe(404);
    });

    it('PROPFIND: Depth 0/1, infinity refused or bounded, allprop/propname, malformed bodies are 400', async () => {
      const inf = await dav.propfind('/dav/', 'infinity');
      expect(inf.status).toBe(403);
      expect(inf.text).toContain('propfind-finite-depth');
      expect((await dav.req('PROPFIND', '/dav/')).status).toBe(403); // no Depth header = infinity
      await ts.server.ctx.settings.set({ webdav_propfind_infinity: '1' });
      try {
        const deep = await dav.propfind('/dav/', 'infinity', PROPFIND('<D:resourcetype/>'));
        expect(deep.status).toBe(207);
        expect(deep.responses.map((r) => r.href)).toContain(`/dav/${enc('名前 folder #1')}/${enc('a b.txt')}`);
        await setGroup(1, { settings: JSON.stringify({ max_walked_files: 3 }) });
        expect((await dav.propfind('/dav/', 'infinity')).status).toBe(403);
      } finally {
        await setGroup(1, { settings: '{}' });
        await ts.server.ctx.settings.set({ webdav_propfind_infinity: '0' });
      }
      expect((await dav.propfind('/dav/', '2')).status).toBe(400);

      const all = await dav.propfind('/dav/a.txt', '0');
      const keys = [...all.responses[0]!.props.keys()];
      for (const k of ['creationdate', 'displayname', 'getcontentlength', 'getcontenttype', 'getetag', 'getlastmodified', 'resourcetype', 'supportedlock', 'lockdiscovery']) {
        expect(keys).toContain(`{DAV:}${k}`);
      }
      expect(keys).not.toContain('{DAV:}quota-used-bytes');
      const created = (all.responses[0]!.props.get('{DAV:}creationdate')!.el.children[0] as { text: string }).text;
      expect(created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      const names = await dav.propfind('/dav/', '0', '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>');
      expect([...names.responses[0]!.props.values()].every((p) => p.el.children.length === 0)).toBe(true);
      const folderProps = names.responses[0]!.props;
      expect(folderProps.has('{DAV:}resourcetype')).toBe(true);
      expect(folderProps.has('{DAV:}getcontentlength')).toBe(false);

      for (const bad of [
        '<D:propfind xmlns:D="DAV:"><D:prop>', '<x:propfind/>', '<D:propfind xmlns:D="DAV:"></D:prop>', 'not xml at all',
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:"><D:prop>&e;</D:prop></D:propfind>',
        '<D:propfind xmlns:D="DAV:"><D:allprop/><D:propname/></D:propfind>', '<D:other xmlns:D="DAV:"/>', '<a xmlns:p=""/>',
        `<D:propfind xmlns:D="DAV:">${'<D:prop>'.repeat(200)}${'</D:prop>'.repeat(200)}</D:propfind>`,
      ]) {
        expect((await dav.propfind('/dav/', '0', bad)).status, bad.slice(0, 60)).toBe(400);
      }
      expect((await dav.propfind('/dav/', '0', `<D:propfind xmlns:D="DAV:"><!--${'x'.repeat(1_100_000)}--><D:allprop/></D:propfind>`)).status).toBe(413);
    });

    it('PROPPATCH stores dead properties as file metadata; a protected property fails the whole request', async () => {
      const set = `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:set><D:prop>
        <Z:author xml:lang="en">Ann <Z:b attr="1">bold</Z:b> &amp; co</Z:author><Z:empty/></D:prop></D:set></D:propertyupdate>`;
      const r = await dav.req('PROPPATCH', '/dav/a.txt', { body: set, headers: { 'content-type': 'application/xml' } });
      expect(r.status).toBe(207);
      expect(await r.text()).toContain('HTTP/1.1 200 OK');
      const meta = (await rest.get(`/file/info?uri=${enc('cloudreve://my/root/a.txt')}`)).data.metadata;
      const stored = JSON.parse(meta['dav:urn:example:z|author']);
      expect(stored.l).toBe('en');
      expect(Buffer.from(stored.i, 'base64').toString()).toBe('Ann <b xmlns="urn:example:z" attr="1">bold</b> &amp; co');
      const pf = await dav.propfind('/dav/a.txt', '0', PROPFIND('<Z:author xmlns:Z="urn:example:z"/><Z:empty xmlns:Z="urn:example:z"/><Z:none xmlns:Z="urn:example:z"/>'));
      const author = pf.responses[0]!.props.get('{urn:example:z}author')!;
      expect(author.status).toBe(200);
      expect(author.el.lang).toBe('en');
      expect(author.el.children.map((c) => (c.kind === 'text' ? c.text : `<${c.local}>`)).join('')).toBe('Ann <b> & co');
      expect(pf.responses[0]!.props.get('{urn:example:z}empty')!.status).toBe(200);
      expect(pf.responses[0]!.props.get('{urn:example:z}none')!.status).toBe(404);

      const mixed = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>"x"</D:getetag><D:custom>v</D:custom></D:prop></D:set>
        <D:remove><D:prop><Z:author xmlns:Z="urn:example:z"/></D:prop></D:remove></D:propertyupdate>`;
      const bad = await dav.req('PROPPATCH', '/dav/a.txt', { body: mixed });
      expect(bad.status).toBe(207);
      const text = await bad.text();
      expect(text).toContain('HTTP/1.1 403 Forbidden');
      expect(text).toContain('HTTP/1.1 424 Failed Dependency');
      const after = (await rest.get(`/file/info?uri=${enc('cloudreve://my/root/a.txt')}`)).data.metadata;
      expect(after['dav:urn:example:z|author']).toBeDefined();
      expect(after['dav:DAV:|custom']).toBeUndefined();

      const remove = '<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><Z:author xmlns:Z="urn:example:z"/></D:prop></D:remove></D:propertyupdate>';
      expect((await dav.req('PROPPATCH', '/dav/a.txt', { body: remove })).status).toBe(207);
      expect((await rest.get(`/file/info?uri=${enc('cloudreve://my/root/a.txt')}`)).data.metadata?.['dav:urn:example:z|author']).toBeUndefined();
      expect((await dav.req('PROPPATCH', '/dav/a.txt', { body: '<D:propfind xmlns:D="DAV:"/>' })).status).toBe(400);
      expect((await dav.req('PROPPATCH', '/dav/a.txt', { body: '<broken' })).status).toBe(400);
      expect((await dav.req('PROPPATCH', '/dav/nothing.txt', { body: remove })).status).toBe(404);
    });

    it('MKCOL, DELETE to the trash, COPY/MOVE with Depth and Overwrite', async () => {
      expect((await dav.req('MKCOL', '/dav/m')).status).toBe(201);
      expect((await dav.req('MKCOL', '/dav/m')).status).toBe(405);
      expect((await dav.req('MKCOL', '/dav/no/such')).status).toBe(409);
      expect((await dav.req('MKCOL', '/dav/withbody', { body: '<x/>' })).status).toBe(415);
      await dav.put('/dav/m/inner.txt', 'inner');

      const cp = (src: string, dst: string, h: Record<string, string> = {}) => dav.req('COPY', src, { headers: { destination: `${ts.url}${dst}`, ...h } });
      const mv = (src: string, dst: string, h: Record<string, string> = {}) => dav.req('MOVE', src, { headers: { destination: dst, ...h } });
      expect((await cp('/dav/m/inner.txt', '/dav/copy.txt')).status).toBe(201);
      expect((await cp('/dav/a.txt', '/dav/copy.txt', { overwrite: 'F' })).status).toBe(412);
      expect((await cp('/dav/a.txt', '/dav/copy.txt', { overwrite: 'T' })).status).toBe(204);
      expect(await (await dav.req('GET', '/dav/copy.txt')).text()).toBe('hello WORLD');
      expect((await cp('/dav/m', '/dav/m-shallow', { depth: '0' })).status).toBe(201);
      expect(await listNames('cloudreve://my/root/m-shallow')).toEqual([]);
      expect((await cp('/dav/m', '/dav/m-deep', { depth: 'infinity' })).status).toBe(201);
      expect(await listNames('cloudreve://my/root/m-deep')).toEqual(['inner.txt']);
      expect((await cp('/dav/m', '/dav/m-one', { depth: '1' })).status).toBe(400);
      expect((await cp('/dav/m', '/dav/m/inside')).status).toBe(403);
      expect((await cp('/dav/m', '/dav/nope/x')).status).toBe(409);
      expect((await cp('/dav/ghost', '/dav/x')).status).toBe(404);

      expect((await mv('/dav/m-deep', '/dav/m-moved')).status).toBe(201);
      expect((await dav.req('GET', '/dav/m-moved/inner.txt')).status).toBe(200);
      expect((await dav.propfind('/dav/m-deep', '0')).status).toBe(404);
      expect((await mv('/dav/m-moved', '/dav/m', { overwrite: 'F' })).status).toBe(412);
      expect((await mv('/dav/m-moved', '/dav/m-x', { depth: '0' })).status).toBe(400);
      expect((await mv('/dav/copy.txt', '/dav/m-moved/renamed.txt')).status).toBe(201);
      expect(await listNames('cloudreve://my/root/m-moved')).toEqual(expect.arrayContaining(['inner.txt', 'renamed.txt']));
      expect((await mv('/dav/m-moved', '/dav/m', { overwrite: 'T' })).status).toBe(204);
      expect(await listNames('cloudreve://my/root/m')).toEqual(expect.arrayContaining(['inner.txt', 'renamed.txt']));

      expect((await dav.req('DELETE', '/dav/m-shallow')).status).toBe(204);
      expect((await dav.req('DELETE', '/dav/m-shallow')).status).toBe(404);
      expect((await dav.req('DELETE', '/dav/')).status).toBe(403);
      expect((await dav.req('DELETE', '/dav/m', { headers: { depth: '0' } })).status).toBe(400);
      const trash = (await rest.get(`/file?uri=${enc('cloudreve://trash')}&page_size=100`)).data.files;
      expect(trash.map((f: { name: string }) => f.name)).toContain('m-shallow');
      await assertCapacityConsistent(ts, uid);
    });

    it('shares locks with the REST API in both directions', async () => {
      await dav.put('/dav/locked.txt', 'v1');
      const lk = await dav.req('LOCK', '/dav/locked.txt', { body: LOCKINFO(), headers: { timeout: 'Second-600', depth: '0' } });
      expect(lk.status).toBe(200);
      const token = /^<(opaquelocktoken:[0-9a-f-]{36})>$/.exec(lk.headers.get('lock-token') ?? '')?.[1];
      expect(token).toBeDefined();
      const body = await lk.text();
      expect(body).toMatch(/<D:owner><href xmlns="DAV:">tester<\/href><\/D:owner>/);
      expect(body).toMatch(/Second-(600|599)/);

      const rn = await rest.post('/file/rename', { uri: 'cloudreve://my/root/locked.txt', new_name: 'x.txt' });
      expect(rn.code).toBe(40073);
      expect(rn.data[0].owner.application.type).toBe('dav');
      expect((await rest.delete('/file', { uris: ['cloudreve://my/root/locked.txt'] })).code).toBe(40073);

      const noToken = await dav.put('/dav/locked.txt', 'v2');
      expect(noToken.status).toBe(423);
      expect(await noToken.text()).toContain('lock-token-submitted');
      expect((await dav.req('DELETE', '/dav/locked.txt')).status).toBe(423);
      expect((await dav.req('MOVE', '/dav/locked.txt', { headers: { destination: '/dav/elsewhere.txt' } })).status).toBe(423);
      expect((await dav.put('/dav/locked.txt', 'v2', { if: `(<${token}>)` })).status).toBe(204);
      expect((await dav.put('/dav/locked.txt', 'v3', { if: '(<opaquelocktoken:00000000-0000-0000-0000-000000000000>)' })).status).toBe(412);
      expect((await dav.req('LOCK', '/dav/locked.txt', { body: LOCKINFO('shared') })).status).toBe(423);
      const pf = await dav.propfind('/dav/locked.txt', '0', PROPFIND('<D:lockdiscovery/>'));
      expect(pf.text).toContain(token!);

      // Refresh through the If header.
      const refreshed = await dav.req('LOCK', '/dav/locked.txt', { headers: { if: `(<${token}>)`, timeout: 'Second-900' } });
      expect(refreshed.status).toBe(200);
      expect(await refreshed.text()).toMatch(/Second-(900|899)/);
      expect((await dav.req('LOCK', '/dav/locked.txt', { headers: { timeout: 'Second-900' } })).status).toBe(400);

      // The REST force-unlock releases a WebDAV lock.
      expect((await rest.delete('/file/lock', { tokens: [token!.slice('opaquelocktoken:'.length)] })).code).toBe(0);
      expect((await dav.put('/dav/locked.txt', 'v4')).status).toBe(204);

      // A core lock taken by another door (an editor, an upload) blocks WebDAV writes with 423.
      const fm = fileManager(ts.server.ctx);
      const viewer = await fm.locks.acquire(uid, uid, [{ path: ['my', 'root', 'locked.txt'], depth: 0, app: 'viewer', uri: 'cloudreve://my/root/locked.txt' }], { ttlSeconds: 60, waitMs: 0 });
      expect((await dav.put('/dav/locked.txt', 'v5')).status).toBe(423);
      expect((await dav.req('DELETE', '/dav/locked.txt')).status).toBe(423);
      expect((await dav.req('PROPPATCH', '/dav/locked.txt', { body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:x>1</D:x></D:prop></D:set></D:propertyupdate>' })).status).toBe(423);
      await viewer.release();
      expect((await dav.put('/dav/locked.txt', 'v5')).status).toBe(204);

      // UNLOCK rules.
      const l2 = await dav.req('LOCK', '/dav/locked.txt', { body: LOCKINFO() });
      const t2 = /^<(.+)>$/.exec(l2.headers.get('lock-token')!)![1]!;
      expect((await dav.req('UNLOCK', '/dav/locked.txt', { headers: { 'lock-token': t2 } })).status).toBe(400);
      expect((await dav.req('UNLOCK', '/dav/a.txt', { headers: { 'lock-token': `<${t2}>` } })).status).toBe(409);
      expect((await dav.req('UNLOCK', '/dav/locked.txt', { headers: { 'lock-token': `<${t2}>` } })).status).toBe(204);
      expect((await rest.post('/file/rename', { uri: 'cloudreve://my/root/locked.txt', new_name: 'unlocked.txt' })).code).toBe(0);
    });

    it('locks expire after their timeout', async () => {
      await dav.put('/dav/short.txt', 'v1');
      const lk = await dav.req('LOCK', '/dav/short.txt', { body: LOCKINFO(), headers: { timeout: 'Second-1' } });
      expect(lk.status).toBe(200);
      expect(await lk.text()).toContain('<D:timeout>Second-1</D:timeout>');
      expect((await dav.put('/dav/short.txt', 'v2')).status).toBe(423);
      await new Promise((r) => setTimeout(r, 1300));
      expect((await dav.put('/dav/short.txt', 'v2')).status).toBe(204);
      const token = /^<(.+)>$/.exec(lk.headers.get('lock-token')!)![1]!;
      expect((await dav.req('LOCK', '/dav/short.txt', { headers: { if: `(<${token}>)` } })).status).toBe(412);
    });

    it('applies the group speed limit to downloads', async () => {
      await dav.put('/dav/slow.bin', 'z'.repeat(48 * 1024));
      await setGroup(1, { speed_limit: 24 * 1024 });
      try {
        const t = Date.now();
        const r = await dav.req('GET', '/dav/slow.bin');
        expect((await r.arrayBuffer()).byteLength).toBe(48 * 1024);
        expect(Date.now() - t).toBeGreaterThanOrEqual(700);
      } finally {
        await setGroup(1, { speed_limit: 0 });
      }
    });

    it('Windows Explorer: LOCK before PUT creates the file, then PUT/PROPPATCH with the token, UNLOCK', async () => {
      const lk = await dav.req('LOCK', '/dav/New Document.docx', { body: LOCKINFO(), headers: { timeout: 'Second-3600' } });
      expect(lk.status).toBe(201);
      const token = /^<(.+)>$/.exec(lk.headers.get('lock-token')!)![1]!;
      expect(await listNames('cloudreve://my/root')).toContain('New Document.docx');
      expect((await dav.put('/dav/New Document.docx', 'docx bytes', { if: `(<${token}>)` })).status).toBe(204);
      const win = `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>
        <Z:Win32CreationTime>Mon, 01 Jan 2024 00:00:00 GMT</Z:Win32CreationTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`;
      expect((await dav.req('PROPPATCH', '/dav/New Document.docx', { body: win, headers: { if: `(<${token}>)` } })).status).toBe(207);
      expect((await dav.req('UNLOCK', '/dav/New Document.docx', { headers: { 'lock-token': `<${token}>` } })).status).toBe(204);
      expect(await (await dav.req('GET', '/dav/New Document.docx')).text()).toBe('docx bytes');
      // A lock on a missing resource in a missing folder is 409.
      expect((await dav.req('LOCK', '/dav/nope/x.docx', { body: LOCKINFO() })).status).toBe(409);
    });

    it('system files: allowed by default, refused and hidden with disable_sys_files', async () => {
      expect((await dav.put('/dav/._mac.txt', 'apple double')).status).toBe(201);
      expect((await dav.put('/dav/.DS_Store', 'ds')).status).toBe(201);
      const acct = await createDavAccount(rest, 'cloudreve://my/root', { disable_sys_files: true });
      const strict = new DavClient(ts.url, 'dav@example.com', acct.password);
      for (const name of ['.DS_Store', 'Thumbs.db', 'desktop.ini', '._other.txt']) expect((await strict.put(`/dav/${enc(name)}`, 'x')).status, name).toBe(403);
      expect((await strict.req('MKCOL', '/dav/.Trashes')).status).toBe(403);
      const listing = await strict.propfind('/dav/', '1');
      const hrefs = listing.responses.map((r) => r.href);
      expect(hrefs).not.toContain('/dav/._mac.txt');
      expect(hrefs).not.toContain('/dav/.DS_Store');
      expect(hrefs).toContain('/dav/a.txt');
      expect((await strict.req('GET', '/dav/._mac.txt')).status).toBe(404);
      expect((await strict.put('/dav/normal.txt', 'ok')).status).toBe(201);
    });

    it('exposes a share root read-only through the share file system', async () => {
      await dav.req('MKCOL', '/dav/pub');
      await dav.put('/dav/pub/shared.txt', 'shared bytes');
      const link = (await rest.put('/share', { uri: 'cloudreve://my/root/pub' })).data as string;
      const shareId = link.split('/').pop()!;
      const { c } = await newUser(ts, 'reader@example.com');
      const perms = (await ts.server.ctx.db.kysely.selectFrom('groups').select('permissions').where('id', '=', 2).executeTakeFirstOrThrow()).permissions;
      await setGroup(2, { permissions: Boolset.decode(perms).set(3, true).encode() });
      try {
        const reader = new DavClient(ts.url, 'reader@example.com', (await createDavAccount(c, `cloudreve://${shareId}@share`)).password);
        const pf = await reader.propfind('/dav/', '1');
        expect(pf.status).toBe(207);
        expect(pf.responses.map((r) => r.href)).toEqual(['/dav/', '/dav/shared.txt']);
        expect(pf.responses[1]!.props.has('{DAV:}quota-used-bytes')).toBe(false);
        expect(await (await reader.req('GET', '/dav/shared.txt')).text()).toBe('shared bytes');
        expect((await reader.put('/dav/new.txt', 'x')).status).toBe(403);
        expect((await reader.put('/dav/shared.txt', 'x')).status).toBe(403);
        expect((await reader.req('DELETE', '/dav/shared.txt')).status).toBe(403);
        expect((await reader.req('MKCOL', '/dav/d')).status).toBe(403);
        expect(await (await dav.req('GET', '/dav/pub/shared.txt')).text()).toBe('shared bytes');
      } finally {
        await setGroup(2, { permissions: perms });
      }
    });

    it('read-only accounts may read but not write', async () => {
      const acct = await createDavAccount(rest, 'cloudreve://my/root', { readonly: true });
      const ro = new DavClient(ts.url, 'dav@example.com', acct.password);
      expect((await ro.propfind('/dav/', '1')).status).toBe(207);
      expect((await ro.req('GET', '/dav/a.txt')).status).toBe(200);
      const writes: [string, string, Record<string, string>?, string?][] = [
        ['PUT', '/dav/ro.txt', {}, 'x'], ['DELETE', '/dav/a.txt'], ['MKCOL', '/dav/ro'], ['COPY', '/dav/a.txt', { destination: '/dav/ro.txt' }],
        ['MOVE', '/dav/a.txt', { destination: '/dav/ro.txt' }], ['LOCK', '/dav/a.txt', {}, LOCKINFO()], ['UNLOCK', '/dav/a.txt', { 'lock-token': '<opaquelocktoken:x>' }],
        ['PROPPATCH', '/dav/a.txt', {}, '<D:propertyupdate xmlns:D="DAV:"/>'],
      ];
      for (const [m, p, h, b] of writes) expect((await ro.req(m, p, { headers: h, body: b })).status, m).toBe(403);
      expect((await dav.req('GET', '/dav/a.txt')).status).toBe(200);
    });

    it('rate-limits wrong credentials per client address (429 with Retry-After)', async () => {
      await ts.server.ctx.settings.set({ login_ip_rate_limit: '3' });
      const kv = ts.server.ctx.kv;
      const clear = () => kv.delete('dav_auth_fail_ip_127.0.0.1', 'dav_auth_fail_ip_::ffff:127.0.0.1', 'dav_auth_fail_ip_::1', 'dav_auth_fail_account_dav@example.com');
      await clear();
      try {
        const wrong = new DavClient(ts.url, 'dav@example.com', 'wrong-secret');
        for (let i = 0; i < 3; i++) expect((await wrong.propfind('/dav/', '0')).status).toBe(401);
        const limited = await wrong.req('PROPFIND', '/dav/', { headers: { depth: '0' } });
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
        // Even the right secret waits out the window.
        expect((await dav.propfind('/dav/', '0')).status).toBe(429);
        // Requests without credentials are challenged, not counted.
        expect((await dav.req('OPTIONS', '/dav/', { auth: null })).status).toBe(200);
      } finally {
        await clear();
        await ts.server.ctx.settings.set({ login_ip_rate_limit: '50' });
      }
      expect((await dav.propfind('/dav/', '0')).status).toBe(207);
    });
  });
}

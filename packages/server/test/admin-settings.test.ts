import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { downloadPath, fetchBytes, uploadFile } from './helpers/transfer.ts';
import { Mailbox } from './helpers/mailbox.ts';
import type { Client } from './helpers/client.ts';
import { dayStarts } from '../src/services/admin-summary.ts';
import { formatTime } from '../src/util/time.ts';

/** Every key the contract's dashboard seed list names (60 §5), minus the queue matrix added below. */
const DASHBOARD_KEYS = `siteName siteDes siteURL siteScript pwa_small_icon pwa_medium_icon pwa_large_icon site_logo site_logo_light
tos_url privacy_policy_url show_app_promotion show_desktop_app_promotion register_enabled email_active default_group authn_enabled
expose_user_email avatar_path avatar_size avatar_size_l gravatar_server login_captcha reg_captcha forget_captcha captcha_type
captcha_mode captcha_ComplexOfNoiseText captcha_ComplexOfNoiseDot captcha_IsShowHollowLine captcha_IsShowNoiseDot
captcha_IsShowNoiseText captcha_IsShowSlimeLine captcha_IsShowSineLine captcha_CaptchaLen captcha_ReCaptchaKey
captcha_ReCaptchaSecret captcha_turnstile_site_key captcha_turnstile_site_secret captcha_cap_instance_url captcha_cap_site_key
captcha_cap_secret_key captcha_cap_asset_server thumb_width thumb_height thumb_entity_suffix thumb_encode_method thumb_gc_after_gen
thumb_encode_quality thumb_builtin_enabled thumb_builtin_max_size thumb_vips_max_size thumb_vips_enabled thumb_vips_exts
thumb_ffmpeg_enabled thumb_vips_path thumb_ffmpeg_path thumb_ffmpeg_max_size thumb_ffmpeg_exts thumb_ffmpeg_seek
thumb_ffmpeg_extra_args thumb_libreoffice_path thumb_libreoffice_max_size thumb_libreoffice_enabled thumb_libreoffice_exts
thumb_music_cover_enabled thumb_music_cover_exts thumb_music_cover_max_size thumb_libraw_path thumb_libraw_max_size
thumb_libraw_enabled thumb_libraw_exts media_meta_exif media_meta_exif_size_local media_meta_exif_size_remote
media_meta_exif_brute_force media_meta_music media_meta_music_size_local media_exif_music_size_remote media_meta_ffprobe
media_meta_ffprobe_path media_meta_ffprobe_size_local media_meta_ffprobe_size_remote media_meta_geocoding
media_meta_geocoding_mapbox_ak mail_keepalive fromAdress smtpHost smtpPort replyTo smtpUser smtpPass smtpEncryption fromName
mail_activation_template mail_reset_template theme_options defaultTheme custom_nav_items headless_footer_html headless_bottom_html
sidebar_bottom_html temp_path siteID cron_garbage_collect hash_id_salt access_token_ttl refresh_token_ttl maxEditSize
cron_trash_bin_collect cron_entity_collect public_resource_maxage use_cursor_pagination max_page_size max_recursive_searched_folder
max_batched_file map_provider map_google_tile_type map_mapbox_ak mime_mapping explorer_category_image_query
explorer_category_video_query explorer_category_audio_query explorer_category_document_query archive_timeout
upload_session_timeout slave_api_timeout folder_props_timeout chunk_retries use_temp_chunk_buffer max_parallel_transfer
cron_oauth_cred_refresh viewer_session_timeout entity_url_default_ttl entity_url_cache_margin encrypt_master_key_vault
encrypt_master_key_file show_encryption_status fs_event_push_enabled fs_event_push_max_age fs_event_push_debounce fts_enabled
fts_meilisearch_endpoint fts_meilisearch_api_key fts_meilisearch_page_size fts_meilisearch_embed_enabled
fts_meilisearch_embed_config fts_chunk_size fts_tika_endpoint fts_tika_exts fts_tika_max_file_size explorer_icons emojis
file_viewers viewer_default_apps custom_props payment storage_products group_sell_data`.split(/\s+/).filter(Boolean);
for (const q of ['media_meta', 'thumb', 'recycle', 'io_intense', 'remote_download']) {
  for (const k of ['worker_num', 'max_execution', 'backoff_factor', 'backoff_max_duration', 'max_retry', 'retry_delay']) DASHBOARD_KEYS.push(`queue_${q}_${k}`);
}

/** Contract 60 §5: summary and settings on every backend. */
for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`admin summary and settings on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let plain: Client;

    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: plain } = await newUser(ts, 'plain@example.com'));
    });
    afterAll(async () => ts?.close());

    it('non-admins get 403 with no data; anonymous 401', async () => {
      for (const [m, p, b] of [['GET', '/admin/summary?generate=true', undefined], ['POST', '/admin/settings', { keys: ['siteName', 'smtpPass'] }],
        ['PATCH', '/admin/settings', { settings: { siteName: 'pwned' } }], ['DELETE', '/admin/tool/entityUrlCache', undefined],
        ['POST', '/admin/tool/thumbExecutable', { name: 'ffmpeg', executable: 'ffmpeg' }]] as const) {
        expect(await plain.call(m, p, b), `${m} ${p}`).toEqual({ code: 403, msg: '', correlation_id: expect.any(String) });
        expect((await ts.client().call(m, p, b)).code).toBe(401);
      }
      expect((await admin.post('/admin/settings', { keys: ['siteName'] })).data.siteName).toBe('Cloudreve');
    });

    it('summary: null metrics until generated, then 12 days of counts and totals from the cache', async () => {
      const first = await admin.get('/admin/summary');
      expect(first.code).toBe(0);
      expect(first.data).toEqual({ metrics_summary: null, site_urls: ['http://localhost:5212'], version: { version: '4.0.0', pro: false, commit: expect.any(String) } });
      await uploadFile(plain, 'cloudreve://my/a.txt', Buffer.from('hello'));
      await plain.put('/share', { uri: 'cloudreve://my/a.txt' });
      const gen = (await admin.get('/admin/summary?generate=true')).data.metrics_summary;
      expect(gen.dates).toEqual(dayStarts(Date.now()).map((t) => formatTime(t)));
      expect(gen.dates).toHaveLength(12);
      expect(new Date(gen.dates[11]).getTime()).toBeLessThanOrEqual(Date.now());
      expect(gen.users).toEqual([...Array(11).fill(0), 2]);
      expect(gen.files).toEqual([...Array(11).fill(0), 1]);
      expect(gen.shares).toEqual([...Array(11).fill(0), 1]);
      expect(gen).toMatchObject({ user_total: 2, file_total: 1, share_total: 1, entities_total: 1 });
      // Cached: a new user does not show until the next generate.
      await newUser(ts, 'third@example.com');
      expect((await admin.get('/admin/summary?generate=false')).data.metrics_summary).toEqual(gen);
      expect((await admin.get('/admin/summary?generate=true')).data.metrics_summary.user_total).toBe(3);
    });

    it('reads every dashboard key (seeded), never secret_key, skips unknown keys', async () => {
      const r = await admin.post('/admin/settings', { keys: [...DASHBOARD_KEYS, 'secret_key', 'no_such_key'] });
      expect(r.code).toBe(0);
      expect(Object.keys(r.data).sort()).toEqual([...DASHBOARD_KEYS].sort());
      expect(r.data).not.toHaveProperty('secret_key');
      expect(Object.values(r.data).every((v) => typeof v === 'string')).toBe(true);
      expect((await admin.post('/admin/settings', {})).code).toBe(40001);
    });

    it('saves settings with siteURL and mime_mapping validation; nothing is saved when one value is bad', async () => {
      const saved = await admin.patch('/admin/settings', { settings: { siteName: 'My Cloud', siteURL: ' https://a.example.com/ , http://b.example.com/x/ ', unknown_key: 'x', queue_thumb_worker_num: '3' } });
      expect(saved.code, saved.msg).toBe(0);
      expect(saved.data).toEqual({ siteName: 'My Cloud', siteURL: 'https://a.example.com,http://b.example.com/x', queue_thumb_worker_num: '3' });
      const back = await admin.post('/admin/settings', { keys: ['siteName', 'siteURL', 'unknown_key'] });
      expect(back.data).toEqual({ siteName: 'My Cloud', siteURL: 'https://a.example.com,http://b.example.com/x' });
      expect((await admin.get('/admin/summary')).data.site_urls).toEqual(['https://a.example.com', 'http://b.example.com/x']);
      // The public site config follows.
      expect((await ts.client().get('/site/config/basic')).data.title).toBe('My Cloud');

      for (const bad of [{ siteURL: 'not a url' }, { siteURL: 'ftp://x.example' }, { mime_mapping: '[1]' }, { mime_mapping: '{bad' }]) {
        const r = await admin.patch('/admin/settings', { settings: { siteName: 'Changed?', ...bad } });
        expect(r.code, JSON.stringify(bad)).toBe(40001);
      }
      expect((await admin.post('/admin/settings', { keys: ['siteName'] })).data.siteName).toBe('My Cloud');
      expect((await admin.patch('/admin/settings', { settings: { mime_mapping: '{".foo":"text/x-foo"}' } })).code).toBe(0);
      expect((await admin.patch('/admin/settings', { settings: { siteName: 5 } })).code).toBe(40001);
      await admin.patch('/admin/settings', { settings: { siteURL: 'http://localhost:5212', smtpPass: 'hunter2' } });
      const audit = await admin.post('/admin/audit', { page: 1, page_size: 50, conditions: { audit_action: 'settings.update' } });
      expect(audit.data.logs.length).toBeGreaterThanOrEqual(3);
      expect(JSON.stringify(audit.data.logs)).not.toContain('hunter2');
      expect(audit.data.logs.some((l: any) => l.detail.smtpPass === true)).toBe(true);
      expect(audit.data.logs.some((l: any) => l.detail.siteName?.to === 'My Cloud')).toBe(true);
    });

    it('any secret_key value regenerates the key: every token and signed URL dies', async () => {
      await uploadFile(plain, 'cloudreve://my/signed.txt', Buffer.from('signed body'));
      const url = await downloadPath(plain, 'cloudreve://my/signed.txt');
      expect((await fetchBytes(ts, url)).body.toString()).toBe('signed body');
      const refreshToken = plain.refreshToken!;
      const oldKey = ts.server.ctx.settings.get('secret_key');

      const r = await admin.patch('/admin/settings', { settings: { secret_key: 'chosen-by-admin' } });
      expect(r).toMatchObject({ code: 0, data: { secret_key: '' } });
      const newKey = ts.server.ctx.settings.get('secret_key');
      expect(newKey).not.toBe(oldKey);
      expect(newKey).not.toBe('chosen-by-admin');
      expect(newKey.length).toBeGreaterThanOrEqual(64);

      expect((await admin.get('/user/me')).code).toBe(401);
      expect((await plain.get('/user/me')).code).toBe(401);
      expect((await plain.post('/session/token/refresh', { refresh_token: refreshToken })).code).not.toBe(0);
      const stale = (await fetchBytes(ts, url)).body.toString();
      expect(stale).not.toContain('signed body');
      expect(JSON.parse(stale).code).toBe(40071);
      // Signing in again works, and fresh URLs are signed with the new key (not served from the cache).
      await admin.signIn('admin@example.com');
      await plain.signIn('plain@example.com');
      const fresh = await downloadPath(plain, 'cloudreve://my/signed.txt');
      expect(fresh).not.toBe(url);
      expect((await fetchBytes(ts, fresh)).body.toString()).toBe('signed body');
      const audit = await admin.post('/admin/audit', { page: 1, page_size: 5, order_by: 'id', order_direction: 'desc' });
      expect(audit.data.logs[0].detail).toEqual({ secret_key: true });
    });
  });
}

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
if (!hasFfmpeg && process.env.CR_TEST_REQUIRE_ALL === '1') throw new Error('ffmpeg is missing but CR_TEST_REQUIRE_ALL=1');

/** Contract 60 §5 Tools (backend-independent). */
describe('admin tools', () => {
  let ts: TestServer;
  let admin: Client;
  let mailbox: Mailbox;
  let authBox: Mailbox;
  let wopi: http.Server;
  let wopiUrl: string;
  const discovery = `<?xml version="1.0" encoding="utf-8"?>
<wopi-discovery>
  <net-zone name="external-http">
    <app name="Word" favIconUrl="http://office.local/word.ico">
      <action name="view" ext="docx" urlsrc="http://office.local/wv/wordviewerframe.aspx?&lt;ui=UI_LLCC&amp;&gt;" />
      <action name="edit" ext="docx" urlsrc="http://office.local/we/wordeditorframe.aspx?" />
      <action name="view" ext="doc" urlsrc="http://office.local/wv/doc.aspx?" />
      <action name="mobileView" urlsrc="http://office.local/m?" />
    </app>
    <app name="Excel" favIconUrl="http://office.local/excel.ico">
      <action name="view" ext="xlsx" urlsrc="http://office.local/x/view.aspx?" />
    </app>
  </net-zone>
</wopi-discovery>`;

  beforeAll(async () => {
    ts = await startServer({ name: 'sqlite', db: 'sqlite', redis: false });
    ({ c: admin } = await newUser(ts, 'admin@example.com'));
    mailbox = await Mailbox.start();
    authBox = await Mailbox.start({ auth: { user: 'u', pass: 'right' } });
    wopi = http.createServer((req, res) => {
      if (req.url === '/hosting/discovery') res.writeHead(200, { 'content-type': 'text/xml' }).end(discovery);
      else if (req.url === '/junk') res.writeHead(200).end('this is not xml');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => wopi.listen(0, '127.0.0.1', () => resolve()));
    wopiUrl = `http://127.0.0.1:${(wopi.address() as { port: number }).port}`;
    await ts.server.ctx.settings.set({ outbound_allow_private: '1' });
  });
  afterAll(async () => {
    await ts?.close();
    await mailbox?.close();
    await authBox?.close();
    wopi?.close();
  });

  const smtp = (box: Mailbox, extra: Record<string, unknown> = {}) => ({ ...box.settings(), ...extra });

  it('sends a test mail with the unsaved SMTP settings', async () => {
    const r = await admin.post('/admin/tool/mail', { to: 'ops@example.com', settings: smtp(mailbox, { replyTo: 'help@example.com' }) });
    expect(r.code, r.msg).toBe(0);
    const m = await mailbox.waitFor('ops@example.com');
    expect(m.subject).toBe('Cloudreve SMTP Test');
    expect(m.from).toBe('noreply@test.local');
    expect(m.raw).toMatch(/reply-to:\s*help@example.com/i);
    // Nothing was saved.
    expect(ts.server.ctx.settings.get('smtpHost')).toBe('');
    const authed = await admin.post('/admin/tool/mail', { to: 'ops@example.com', settings: smtp(authBox, { smtpUser: 'u', smtpPass: 'right' }) });
    expect(authed.code, authed.msg).toBe(0);
    await authBox.waitFor('ops@example.com');
  });

  it('reports bad ports (40001) and connection or auth failures (50005)', async () => {
    expect((await admin.post('/admin/tool/mail', { to: 'ops@example.com', settings: smtp(mailbox, { smtpPort: '70000' }) })).code).toBe(40001);
    expect((await admin.post('/admin/tool/mail', { to: 'ops@example.com', settings: smtp(mailbox, { smtpPort: 'abc' }) })).code).toBe(40001);
    expect((await admin.post('/admin/tool/mail', { to: 'not-an-address', settings: smtp(mailbox) })).code).toBe(40001);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await admin.post('/admin/tool/mail', { to: 'ops@example.com', settings: smtp(mailbox, { smtpPort: String(port) }) });
    expect(refused.code).toBe(50005);
    expect(refused.msg).toMatch(/ECONNREFUSED|connect/i);
    const badAuth = await admin.post('/admin/tool/mail', { to: 'ops@example.com', settings: smtp(authBox, { smtpUser: 'u', smtpPass: 'wrong' }) });
    expect(badAuth.code).toBe(50005);
    expect(JSON.stringify(badAuth)).not.toContain('wrong');
  });

  it.skipIf(!hasFfmpeg)('checks media executables by running them', async () => {
    const ff = await admin.post('/admin/tool/thumbExecutable', { name: 'ffmpeg', executable: 'ffmpeg' });
    expect(ff.code, ff.msg).toBe(0);
    expect(ff.data).toMatch(/^ffmpeg version \S+/);
    const probe = await admin.post('/admin/tool/thumbExecutable', { name: 'ffprobe', executable: 'ffprobe' });
    expect(probe.data).toMatch(/^ffprobe version/);
    // ffmpeg is not vips: its output does not name vips.
    const wrong = await admin.post('/admin/tool/thumbExecutable', { name: 'vips', executable: 'ffmpeg' });
    expect(wrong.code).toBe(40001);
  });

  it('refuses unknown tools and missing executables with 40001 and the reason', async () => {
    expect((await admin.post('/admin/tool/thumbExecutable', { name: 'bash', executable: 'bash' })).msg).toMatch(/Unknown executable type/);
    const missing = await admin.post('/admin/tool/thumbExecutable', { name: 'vips', executable: '/nonexistent/vips' });
    expect(missing.code).toBe(40001);
    expect(missing.msg).toMatch(/not found/);
    expect((await admin.post('/admin/tool/thumbExecutable', { name: 'vips' })).code).toBe(40001);
  });

  it('drops the entity URL cache (a new generation)', async () => {
    const kv = ts.server.ctx.kv;
    const before = await kv.get<number>('entity_url_generation');
    expect((await admin.delete('/admin/tool/entityUrlCache')).code).toBe(0);
    const after = await kv.get<number>('entity_url_generation');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect((await admin.delete('/admin/tool/entityUrlCache')).code).toBe(0);
  });

  it('converts a WOPI discovery document into a viewer group; unreachable 50005, unparsable 40001', async () => {
    const r = await admin.get(`/admin/tool/wopi?endpoint=${encodeURIComponent(`${wopiUrl}/hosting/discovery`)}`);
    expect(r.code, r.msg).toBe(0);
    expect(r.data.viewers).toEqual([
      {
        id: expect.any(String), type: 'wopi', display_name: 'Word', icon: 'http://office.local/word.ico', exts: ['docx', 'doc'],
        wopi_actions: {
          docx: { view: 'http://office.local/wv/wordviewerframe.aspx?<ui=UI_LLCC&>', edit: 'http://office.local/we/wordeditorframe.aspx?' },
          doc: { view: 'http://office.local/wv/doc.aspx?' },
        },
      },
      { id: expect.any(String), type: 'wopi', display_name: 'Excel', icon: 'http://office.local/excel.ico', exts: ['xlsx'], wopi_actions: { xlsx: { view: 'http://office.local/x/view.aspx?' } } },
    ]);
    expect((await admin.get(`/admin/tool/wopi?endpoint=${encodeURIComponent(`${wopiUrl}/junk`)}`)).code).toBe(40001);
    expect((await admin.get(`/admin/tool/wopi?endpoint=${encodeURIComponent(`${wopiUrl}/missing`)}`)).code).toBe(50005);
    expect((await admin.get(`/admin/tool/wopi?endpoint=${encodeURIComponent('http://127.0.0.1:1/discovery')}`)).code).toBe(50005);
    expect((await admin.get('/admin/tool/wopi?endpoint=nope')).code).toBe(40001);
  });
});

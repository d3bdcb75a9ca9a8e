import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { DEFAULT_EXPLORER_ICONS, DEFAULT_FILE_VIEWERS } from '../src/services/default-viewers.ts';
import { defaultSettings } from '../src/services/setting-defaults.ts';

const SECRETS = {
  captcha_ReCaptchaSecret: 'recaptcha-SECRET-value-1',
  captcha_turnstile_site_secret: 'turnstile-SECRET-value-2',
  captcha_cap_secret_key: 'cap-SECRET-value-3',
  smtpPass: 'smtp-SECRET-value-4',
};

/** Built-in viewer ids and icon names the official web client implements. */
const CLIENT_VIEWERS = ['image', 'photopea', 'monaco', 'drawio', 'markdown', 'video', 'pdf', 'epub', 'music', 'excalidraw', 'archive'];
const CLIENT_ICONS = ['audio', 'video', 'image', 'raw', 'pdf', 'word', 'ppt', 'excel', 'text', 'torrent', 'zip', 'exe', 'android', 'go',
  'python', 'c', 'cpp', 'js', 'book', 'rust', 'flowchart', 'whiteboard', 'markdown'];

describe('default viewer and icon data', () => {
  it('only uses viewer ids and icon names the web client knows, with display names i18n leaves alone', () => {
    for (const v of DEFAULT_FILE_VIEWERS.flatMap((g) => g.viewers)) {
      expect(CLIENT_VIEWERS).toContain(v.id);
      expect(v.display_name).not.toMatch(/[.:]/);
      expect(v.exts.length).toBeGreaterThan(0);
      expect(v.exts.every((e) => e === e.toLowerCase() && !e.startsWith('.'))).toBe(true);
    }
    for (const i of DEFAULT_EXPLORER_ICONS) expect(CLIENT_ICONS).toContain(i.icon);
  });

  it('has a default for every setting a site config section reads', () => {
    const d = defaultSettings();
    const read = [
      'siteID', 'siteName', 'theme_options', 'defaultTheme', 'site_logo', 'site_logo_light', 'captcha_type', 'captcha_ReCaptchaKey',
      'captcha_turnstile_site_key', 'captcha_cap_instance_url', 'captcha_cap_site_key', 'captcha_cap_asset_server', 'show_app_promotion',
      'custom_nav_items', 'headless_footer_html', 'headless_bottom_html', 'sidebar_bottom_html', 'login_captcha', 'reg_captcha',
      'forget_captcha', 'authn_enabled', 'register_enabled', 'tos_url', 'privacy_policy_url', 'max_batched_file', 'file_viewers',
      'explorer_icons', 'map_provider', 'map_google_tile_type', 'map_mapbox_ak', 'thumb_width', 'thumb_height', 'viewer_default_apps',
      'custom_props', 'show_encryption_status', 'fts_enabled', 'emojis', 'show_desktop_app_promotion', 'thumb_builtin_enabled',
      ...['vips', 'ffmpeg', 'libreoffice', 'music_cover', 'libraw'].flatMap((g) => [`thumb_${g}_enabled`, `thumb_${g}_exts`]),
    ];
    for (const key of read) expect(d, key).toHaveProperty(key);
    for (const key of ['theme_options', 'file_viewers', 'explorer_icons', 'emojis', 'custom_nav_items', 'custom_props', 'viewer_default_apps']) {
      expect(() => JSON.parse(d[key]!), key).not.toThrow();
    }
  });
});

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`site config on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    const setting = (values: Record<string, string>) => ts.server.ctx.settings.set(values);
    const section = async (name: string, token?: string) => {
      const c = ts.client();
      c.token = token;
      const r = await c.get(`/site/config/${name}`);
      expect(r.code, JSON.stringify(r)).toBe(0);
      return r.data as Record<string, any>;
    };

    beforeAll(async () => {
      ts = await startServer(backend);
    });
    afterAll(async () => ts?.close());

    it('login: booleans and links, empty ones omitted', async () => {
      expect(await section('login')).toEqual({ authn: true, register_enabled: true });
      await setting({ login_captcha: '1', reg_captcha: 'true', forget_captcha: '1', authn_enabled: '0', register_enabled: '0', tos_url: 'https://example.com/tos', privacy_policy_url: 'https://example.com/privacy' });
      try {
        expect(await section('login')).toEqual({
          login_captcha: true, reg_captcha: true, forget_captcha: true, tos_url: 'https://example.com/tos', privacy_policy_url: 'https://example.com/privacy',
        });
      } finally {
        await setting({ login_captcha: '0', reg_captcha: '0', forget_captcha: '0', authn_enabled: '1', register_enabled: '1', tos_url: '', privacy_policy_url: '' });
      }
    });

    it('basic for an anonymous caller carries the anonymous user and site identity', async () => {
      const s = ts.server.ctx.settings;
      const basic = await section('basic');
      expect(basic.instance_id).toBe(s.get('siteID'));
      expect(basic.title).toBe('Cloudreve');
      expect(typeof basic.themes).toBe('string');
      expect(Object.keys(JSON.parse(basic.themes))).toContain(basic.default_theme);
      expect(basic.logo).toBe('/static/img/logo.svg');
      expect(basic.logo_light).toBe('/static/img/logo_light.svg');
      expect(basic.captcha_type).toBe('normal');
      expect(basic.app_promotion).toBe(true);
      expect(basic.user).toMatchObject({ id: ts.server.ctx.hashids.encode(0, 1), nickname: '', anonymous: true, created_at: '0001-01-01T00:00:00Z' });
      expect(basic.user.group).toMatchObject({ name: 'Anonymous', permission: 'gg==' });
      for (const omitted of ['custom_nav_items', 'custom_html', 'captcha_ReCaptchaKey', 'turnstile_site_id', 'shop_nav_enabled']) expect(basic).not.toHaveProperty(omitted);
    });

    it('basic with a valid token returns the signed-in user; a forged token is anonymous', async () => {
      const c = ts.client();
      const login = await c.signUpAndIn('site-config@example.com');
      const basic = await section('basic', c.token);
      expect(basic.user).toEqual(login.user);
      expect(basic.user.group.permission).toBeTruthy();

      const forged = await new SignJWT({ token_type: 'access', sub: login.user.id })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime('1h').setNotBefore('0s')
        .sign(new TextEncoder().encode('another site secret'));
      expect((await section('basic', forged)).user.anonymous).toBe(true);
    });

    it('unknown sections, vas and thumb-less names answer the basic payload', async () => {
      const basic = await section('basic');
      expect(await section('vas')).toEqual(basic);
      expect(await section('no-such-section')).toEqual(basic);
      expect(await section('x'.repeat(90))).toEqual(basic);
    });

    it('basic exposes captcha site keys, never their secrets', async () => {
      await setting({
        ...SECRETS,
        captcha_ReCaptchaKey: 'recaptcha-site-key', captcha_turnstile_site_key: 'turnstile-site-key',
        captcha_cap_instance_url: 'https://cap.example.com', captcha_cap_site_key: 'cap-site-key', captcha_cap_asset_server: 'unpkg',
      });
      const basic = await section('basic');
      expect(basic).toMatchObject({
        captcha_ReCaptchaKey: 'recaptcha-site-key', turnstile_site_id: 'turnstile-site-key', captcha_cap_instance_url: 'https://cap.example.com',
        captcha_cap_site_key: 'cap-site-key', captcha_cap_key_id: 'cap-site-key', captcha_cap_asset_server: 'unpkg',
      });
      const s = ts.server.ctx.settings;
      const never = [...Object.values(SECRETS), s.get('secret_key'), s.get('hash_id_salt')];
      for (const name of ['basic', 'login', 'explorer', 'emojis', 'app', 'thumb', 'vas']) {
        const text = await (await ts.client().raw('GET', `/api/v4/site/config/${name}`)).text();
        for (const secret of never) expect(text, `${name} leaks a secret`).not.toContain(secret);
        expect(text).not.toMatch(/secret/i);
      }
    });

    it('basic parses custom_nav_items into an array and groups custom_html', async () => {
      const items = [{ name: 'Docs', url: 'https://example.com/docs', icon: 'fluent:book-24-regular' }, { name: 'Home', url: '/' }];
      await setting({ custom_nav_items: JSON.stringify([...items, 'junk', { name: 1 }]), headless_footer_html: '<b>foot</b>', sidebar_bottom_html: '<i>side</i>' });
      try {
        const basic = await section('basic');
        expect(basic.custom_nav_items).toEqual(items);
        expect(basic.custom_html).toEqual({ headless_footer: '<b>foot</b>', sidebar_bottom: '<i>side</i>' });
        await setting({ custom_nav_items: '{not json' });
        expect(await section('basic')).not.toHaveProperty('custom_nav_items');
      } finally {
        await setting({ custom_nav_items: '[]', headless_footer_html: '', sidebar_bottom_html: '' });
      }
    });

    it('explorer: typed fields, viewers without wopi_actions, icons as JSON text', async () => {
      const explorer = await section('explorer');
      expect(explorer).toMatchObject({ max_batch_size: 3000, map_provider: 'openstreetmap', google_map_tile_type: 'regular', thumbnail_width: 400, thumbnail_height: 300 });
      expect(JSON.parse(explorer.icons)).toEqual(DEFAULT_EXPLORER_ICONS);
      expect(explorer.file_viewers).toEqual(DEFAULT_FILE_VIEWERS);
      for (const omitted of ['mapbox_ak', 'default_viewer_mapping', 'custom_props', 'show_encryption_status', 'full_text_search']) expect(explorer).not.toHaveProperty(omitted);

      const wopi = {
        id: 'office', type: 'wopi', display_name: 'Office', exts: ['docx'], icon: '/office.svg', props: { a: 'b' }, max_size: 100,
        wopi_actions: { docx: { view: 'https://office.example.com/view?WOPISrc=', edit: 'https://office.example.com/edit' } },
      };
      await setting({
        file_viewers: JSON.stringify([{ viewers: [wopi, 'junk'] }, { viewers: DEFAULT_FILE_VIEWERS[0]!.viewers }, 42]),
        viewer_default_apps: JSON.stringify({ docx: 'office' }),
        custom_props: JSON.stringify([{ id: 'rating', name: 'Rating', type: 'rating', max: 5 }]),
        show_encryption_status: '1', fts_enabled: '1', map_provider: 'mapbox', map_mapbox_ak: 'pk.public-token', max_batched_file: '50',
      });
      try {
        const e = await section('explorer');
        const { wopi_actions: _gone, ...pub } = wopi;
        expect(e.file_viewers).toEqual([{ viewers: [pub] }, { viewers: DEFAULT_FILE_VIEWERS[0]!.viewers }]);
        expect(JSON.stringify(e)).not.toContain('office.example.com');
        expect(e).toMatchObject({
          default_viewer_mapping: { docx: 'office' }, custom_props: [{ id: 'rating', name: 'Rating', type: 'rating', max: 5 }],
          show_encryption_status: true, full_text_search: true, map_provider: 'mapbox', mapbox_ak: 'pk.public-token', max_batch_size: 50,
        });
        await setting({ file_viewers: 'not json', viewer_default_apps: '[1]', custom_props: '{}' });
        const broken = await section('explorer');
        expect(broken).not.toHaveProperty('file_viewers');
        expect(broken).not.toHaveProperty('default_viewer_mapping');
        expect(broken).not.toHaveProperty('custom_props');
      } finally {
        const d = defaultSettings();
        await setting(Object.fromEntries(['file_viewers', 'viewer_default_apps', 'custom_props', 'show_encryption_status', 'fts_enabled', 'map_provider', 'map_mapbox_ak', 'max_batched_file'].map((k) => [k, d[k]!])));
      }
    });

    it('emojis and app sections', async () => {
      const emojis = await section('emojis');
      expect(Object.keys(emojis)).toEqual(['emoji_preset']);
      expect(typeof emojis.emoji_preset).toBe('string');
      const preset = JSON.parse(emojis.emoji_preset) as Record<string, string[]>;
      expect(Object.values(preset).every((l) => Array.isArray(l) && l.length > 0)).toBe(true);

      expect(await section('app')).toEqual({ app_promotion: true, desktop_app_promotion: true });
      await setting({ show_app_promotion: '0', show_desktop_app_promotion: '0' });
      try {
        expect(await section('app')).toEqual({});
      } finally {
        await setting({ show_app_promotion: '1', show_desktop_app_promotion: '1' });
      }
    });

    it('thumb lists the extensions of enabled generators only, lower-case and without duplicates', async () => {
      const d = defaultSettings();
      const expected = ['jpg', 'jpeg', 'png', 'gif', ...(d.thumb_music_cover_enabled === '1' ? d.thumb_music_cover_exts!.split(',') : [])];
      expect((await section('thumb')).thumb_exts.sort()).toEqual([...new Set(expected)].sort());
      await setting({ thumb_builtin_enabled: '0', thumb_music_cover_enabled: '0', thumb_ffmpeg_enabled: '1', thumb_ffmpeg_exts: ' MP4, .mkv ,mp4,,webm', thumb_libraw_enabled: '0' });
      try {
        expect(await section('thumb')).toEqual({ thumb_exts: ['mp4', 'mkv', 'webm'] });
        await setting({ thumb_ffmpeg_enabled: '0' });
        expect(await section('thumb')).toEqual({});
      } finally {
        await setting(Object.fromEntries(['thumb_builtin_enabled', 'thumb_music_cover_enabled', 'thumb_ffmpeg_enabled', 'thumb_ffmpeg_exts', 'thumb_libraw_enabled'].map((k) => [k, d[k]!])));
      }
    });
  });
}

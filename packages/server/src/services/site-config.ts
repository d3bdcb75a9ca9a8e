import type {
  BasicSiteConfig, ExplorerSiteConfig, LoginSiteConfig, SiteConfig, SiteConfigSectionName, ViewerGroup,
} from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import type { Settings } from './settings.ts';
import { serializeUser, type CurrentUser } from './users.ts';
import { omitEmpty, parseJson } from '../util/json.ts';

/** Extensions the built-in (sharp) thumbnail generator handles. */
const BUILTIN_THUMB_EXTS = ['jpg', 'jpeg', 'png', 'gif'];
/** Optional generators: each has `thumb_<name>_enabled` and a comma-separated `thumb_<name>_exts`. */
const THUMB_GENERATORS = ['vips', 'ffmpeg', 'libreoffice', 'music_cover', 'libraw'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * SiteConfig for one section (contract 10 §2.6). Unknown section names — and `vas`, which only
 * Cloudreve Pro fills — answer the `basic` payload, as CE does. Secrets never leave this module:
 * every field is picked by name from a public setting.
 */
export function siteConfigSection(ctx: Ctx, section: string, user: CurrentUser): SiteConfig {
  switch (section as SiteConfigSectionName) {
    case 'login': return loginSection(ctx.settings);
    case 'explorer': return explorerSection(ctx.settings);
    case 'emojis': return omitEmpty({ emoji_preset: ctx.settings.get('emojis') });
    case 'app':
      return omitEmpty({
        app_promotion: ctx.settings.bool('show_app_promotion'),
        desktop_app_promotion: ctx.settings.bool('show_desktop_app_promotion'),
      });
    case 'thumb': return omitEmpty({ thumb_exts: thumbnailExtensions(ctx.settings) });
    default: return basicSection(ctx, user);
  }
}

function basicSection(ctx: Ctx, user: CurrentUser): BasicSiteConfig {
  const s = ctx.settings;
  const capSiteKey = s.get('captcha_cap_site_key');
  return omitEmpty({
    instance_id: s.get('siteID'),
    title: s.get('siteName'),
    themes: s.get('theme_options'),
    default_theme: s.get('defaultTheme'),
    user: serializeUser(ctx, user),
    logo: s.get('site_logo'),
    logo_light: s.get('site_logo_light'),
    captcha_type: s.get('captcha_type'),
    captcha_ReCaptchaKey: s.get('captcha_ReCaptchaKey'),
    turnstile_site_id: s.get('captcha_turnstile_site_key'),
    captcha_cap_instance_url: s.get('captcha_cap_instance_url'),
    captcha_cap_site_key: capSiteKey,
    captcha_cap_key_id: capSiteKey,
    captcha_cap_asset_server: s.get('captcha_cap_asset_server'),
    app_promotion: s.bool('show_app_promotion'),
    custom_nav_items: customNavItems(s),
    custom_html: customHtml(s),
  });
}

function loginSection(s: Settings): LoginSiteConfig {
  return omitEmpty({
    login_captcha: s.bool('login_captcha'),
    reg_captcha: s.bool('reg_captcha'),
    forget_captcha: s.bool('forget_captcha'),
    authn: s.bool('authn_enabled'),
    register_enabled: s.bool('register_enabled'),
    tos_url: s.get('tos_url'),
    privacy_policy_url: s.get('privacy_policy_url'),
  });
}

function explorerSection(s: Settings): ExplorerSiteConfig {
  const mapping = parseJson<unknown>(s.get('viewer_default_apps'), {});
  const customProps = parseJson<unknown>(s.get('custom_props'), []);
  return omitEmpty({
    max_batch_size: s.int('max_batched_file', 3000),
    file_viewers: publicViewerGroups(s.get('file_viewers')),
    icons: s.get('explorer_icons'),
    map_provider: s.get('map_provider'),
    google_map_tile_type: s.get('map_google_tile_type'),
    mapbox_ak: s.get('map_mapbox_ak'),
    thumbnail_width: s.int('thumb_width', 400),
    thumbnail_height: s.int('thumb_height', 300),
    default_viewer_mapping: isObject(mapping) && Object.keys(mapping).length ? (mapping as Record<string, string>) : undefined,
    custom_props: Array.isArray(customProps) ? customProps.filter(isObject) as ExplorerSiteConfig['custom_props'] : undefined,
    show_encryption_status: s.bool('show_encryption_status'),
    full_text_search: s.bool('fts_enabled'),
  });
}

/**
 * The `file_viewers` setting as the client may see it: groups of viewers with every viewer's
 * `wopi_actions` (the WOPI discovery URLs, server-side only) removed. Malformed entries are
 * dropped rather than failing the page.
 */
export function publicViewerGroups(raw: string): ViewerGroup[] {
  const groups = parseJson<unknown>(raw, []);
  if (!Array.isArray(groups)) return [];
  return groups.filter(isObject).map((g) => ({
    ...g,
    viewers: (Array.isArray(g.viewers) ? g.viewers : []).filter(isObject).map((v) => {
      const { wopi_actions: _dropped, ...pub } = v;
      return pub;
    }),
  })) as ViewerGroup[];
}

/** Lower-case extensions (no dot) some enabled thumbnail generator handles, without duplicates. */
export function thumbnailExtensions(s: Settings): string[] {
  const exts = new Set<string>();
  if (s.bool('thumb_builtin_enabled')) BUILTIN_THUMB_EXTS.forEach((e) => exts.add(e));
  for (const g of THUMB_GENERATORS) {
    if (!s.bool(`thumb_${g}_enabled`)) continue;
    for (const e of s.get(`thumb_${g}_exts`).split(',')) {
      const ext = e.trim().toLowerCase().replace(/^\.+/, '');
      if (ext) exts.add(ext);
    }
  }
  return [...exts];
}

function customNavItems(s: Settings): BasicSiteConfig['custom_nav_items'] {
  const items = parseJson<unknown>(s.get('custom_nav_items'), []);
  if (!Array.isArray(items)) return undefined;
  return items.filter((i) => isObject(i) && typeof i.name === 'string' && typeof i.url === 'string') as BasicSiteConfig['custom_nav_items'];
}

function customHtml(s: Settings): BasicSiteConfig['custom_html'] {
  const html = omitEmpty({
    headless_footer: s.get('headless_footer_html'),
    headless_bottom: s.get('headless_bottom_html'),
    sidebar_bottom: s.get('sidebar_bottom_html'),
  });
  return Object.keys(html).length ? html : undefined;
}

import { Type, type Static } from '@sinclair/typebox';
import { UserSchema } from './objects.ts';

/**
 * SiteConfig sections of GET /site/config/:section (contract 10 §2.6). Every field is optional:
 * empty/false values are omitted (Go omitempty).
 */
export const SITE_CONFIG_SECTIONS = ['basic', 'login', 'explorer', 'emojis', 'app', 'thumb', 'vas'] as const;
export type SiteConfigSectionName = (typeof SITE_CONFIG_SECTIONS)[number];

export const CustomNavItemSchema = Type.Object({
  name: Type.String(),
  url: Type.String(),
  icon: Type.Optional(Type.String()),
});

export const CustomHtmlSchema = Type.Object({
  headless_footer: Type.Optional(Type.String()),
  headless_bottom: Type.Optional(Type.String()),
  sidebar_bottom: Type.Optional(Type.String()),
});

export const BasicSiteConfigSchema = Type.Object({
  instance_id: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  themes: Type.Optional(Type.String({ description: 'JSON text: map colour → {light, dark} palettes' })),
  default_theme: Type.Optional(Type.String()),
  user: Type.Optional(UserSchema),
  logo: Type.Optional(Type.String()),
  logo_light: Type.Optional(Type.String()),
  captcha_type: Type.Optional(Type.String({ description: 'normal | recaptcha | tcaptcha | turnstile | cap' })),
  captcha_ReCaptchaKey: Type.Optional(Type.String()),
  turnstile_site_id: Type.Optional(Type.String()),
  captcha_cap_instance_url: Type.Optional(Type.String()),
  captcha_cap_site_key: Type.Optional(Type.String()),
  captcha_cap_key_id: Type.Optional(Type.String({ description: 'older name of captcha_cap_site_key, same value' })),
  captcha_cap_asset_server: Type.Optional(Type.String()),
  app_promotion: Type.Optional(Type.Boolean()),
  custom_nav_items: Type.Optional(Type.Array(CustomNavItemSchema)),
  custom_html: Type.Optional(CustomHtmlSchema),
}, { title: 'basic (also vas and any unknown section)' });

export const LoginSiteConfigSchema = Type.Object({
  login_captcha: Type.Optional(Type.Boolean()),
  reg_captcha: Type.Optional(Type.Boolean()),
  forget_captcha: Type.Optional(Type.Boolean()),
  authn: Type.Optional(Type.Boolean()),
  register_enabled: Type.Optional(Type.Boolean()),
  tos_url: Type.Optional(Type.String()),
  privacy_policy_url: Type.Optional(Type.String()),
}, { title: 'login' });

export const ViewerSchema = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'builtin | wopi | custom' }),
  display_name: Type.String(),
  exts: Type.Array(Type.String()),
  url: Type.Optional(Type.String()),
  icon: Type.Optional(Type.String()),
  props: Type.Optional(Type.Record(Type.String(), Type.String())),
  max_size: Type.Optional(Type.Integer()),
  disabled: Type.Optional(Type.Boolean()),
  templates: Type.Optional(Type.Array(Type.Object({ ext: Type.String(), display_name: Type.String() }))),
  platform: Type.Optional(Type.String({ description: 'pc | mobile | all' })),
  required_group_permission: Type.Optional(Type.Array(Type.Integer())),
});

export const ViewerGroupSchema = Type.Object({ viewers: Type.Array(ViewerSchema) });

export const CustomPropSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String({ description: 'text | number | boolean | select | multi_select | user | link | rating' }),
  max: Type.Optional(Type.Number()),
  min: Type.Optional(Type.Number()),
  default: Type.Optional(Type.Unknown()),
  options: Type.Optional(Type.Array(Type.String())),
  icon: Type.Optional(Type.String()),
});

export const ExplorerSiteConfigSchema = Type.Object({
  max_batch_size: Type.Optional(Type.Integer()),
  file_viewers: Type.Optional(Type.Array(ViewerGroupSchema)),
  icons: Type.Optional(Type.String({ description: 'JSON text: [{exts[], icon?, iconify?, img?, color?, color_dark?}]' })),
  map_provider: Type.Optional(Type.String()),
  google_map_tile_type: Type.Optional(Type.String()),
  mapbox_ak: Type.Optional(Type.String()),
  thumbnail_width: Type.Optional(Type.Integer()),
  thumbnail_height: Type.Optional(Type.Integer()),
  default_viewer_mapping: Type.Optional(Type.Record(Type.String(), Type.String())),
  custom_props: Type.Optional(Type.Array(CustomPropSchema)),
  show_encryption_status: Type.Optional(Type.Boolean()),
  full_text_search: Type.Optional(Type.Boolean()),
}, { title: 'explorer' });

export const EmojisSiteConfigSchema = Type.Object({
  emoji_preset: Type.Optional(Type.String({ description: 'JSON text: map category emoji → emoji list' })),
}, { title: 'emojis' });

export const AppSiteConfigSchema = Type.Object({
  app_promotion: Type.Optional(Type.Boolean()),
  desktop_app_promotion: Type.Optional(Type.Boolean()),
}, { title: 'app' });

export const ThumbSiteConfigSchema = Type.Object({
  thumb_exts: Type.Optional(Type.Array(Type.String())),
}, { title: 'thumb' });

export const SiteConfigSchema = Type.Union([
  BasicSiteConfigSchema, LoginSiteConfigSchema, ExplorerSiteConfigSchema, EmojisSiteConfigSchema, AppSiteConfigSchema, ThumbSiteConfigSchema,
], { description: 'One object per section; see the section titles' });

export type BasicSiteConfig = Static<typeof BasicSiteConfigSchema>;
export type LoginSiteConfig = Static<typeof LoginSiteConfigSchema>;
export type ExplorerSiteConfig = Static<typeof ExplorerSiteConfigSchema>;
export type Viewer = Static<typeof ViewerSchema>;
export type ViewerGroup = Static<typeof ViewerGroupSchema>;
export type SiteConfig = Static<typeof SiteConfigSchema>;

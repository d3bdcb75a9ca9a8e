/**
 * The settings pages: which keys each page edits (contract 60 §5 "Setting keys the dashboard reads")
 * and how each is edited and checked. Values travel as strings; booleans are "1"/"0".
 */

export type FieldKind = 'text' | 'secret' | 'int' | 'bool' | 'select' | 'multiline' | 'json' | 'urls' | 'email';

export interface SettingField {
  key: string;
  kind: FieldKind;
  /** For `select`: the stored values (their labels are `admin.opt.<key>.<value>` when present). */
  options?: readonly string[];
  /** Shown only when this returns true for the current values. */
  when?: (v: Record<string, string>) => boolean;
  /** Adds a "Test" button running the named generator executable (POST /admin/tool/thumbExecutable). */
  testExecutable?: 'vips' | 'ffmpeg' | 'libreOffice' | 'ffprobe' | 'libraw';
  /** Shown under the field (an i18n key). */
  help?: string;
  /** Label i18n key when not `admin.set.<key>`. */
  label?: string;
  min?: number;
}

export interface SettingSection {
  /** Heading i18n key, when the page has several sections. */
  title?: string;
  fields: SettingField[];
}

export interface SettingPage {
  id: string;
  sections: SettingSection[];
  /** Extra tool shown on the page. */
  tool?: 'testMail';
}

const on = (key: string) => (v: Record<string, string>) => v[key] === '1';
const captchaIs = (type: string) => (v: Record<string, string>) => v.captcha_type === type;

export const QUEUES = ['media_meta', 'thumb', 'recycle', 'io_intense', 'remote_download'] as const;
const QUEUE_KEYS = ['worker_num', 'max_execution', 'max_retry', 'retry_delay', 'backoff_factor', 'backoff_max_duration'] as const;

export const SETTING_PAGES: readonly SettingPage[] = [
  {
    id: 'site',
    sections: [{
      fields: [
        { key: 'siteName', kind: 'text' },
        { key: 'siteDes', kind: 'multiline' },
        { key: 'siteURL', kind: 'urls', help: 'admin.help.siteURL' },
        { key: 'site_logo', kind: 'text' },
        { key: 'site_logo_light', kind: 'text' },
        { key: 'tos_url', kind: 'text' },
        { key: 'privacy_policy_url', kind: 'text' },
        { key: 'show_app_promotion', kind: 'bool' },
        { key: 'siteScript', kind: 'multiline', help: 'admin.help.siteScript' },
      ],
    }],
  },
  {
    id: 'auth',
    sections: [
      {
        title: 'admin.section.signup',
        fields: [
          { key: 'register_enabled', kind: 'bool' },
          { key: 'email_active', kind: 'bool', help: 'admin.help.email_active' },
          { key: 'default_group', kind: 'select' },
          { key: 'authn_enabled', kind: 'bool' },
          { key: 'expose_user_email', kind: 'bool' },
        ],
      },
      {
        title: 'admin.section.session',
        fields: [
          { key: 'access_token_ttl', kind: 'int', min: 60 },
          { key: 'refresh_token_ttl', kind: 'int', min: 60 },
          { key: 'login_rate_limit', kind: 'int' },
          { key: 'login_rate_window', kind: 'int' },
        ],
      },
      {
        title: 'admin.section.captcha',
        fields: [
          { key: 'login_captcha', kind: 'bool' },
          { key: 'reg_captcha', kind: 'bool' },
          { key: 'forget_captcha', kind: 'bool' },
          { key: 'captcha_type', kind: 'select', options: ['normal', 'recaptcha', 'turnstile', 'cap'] },
          { key: 'captcha_CaptchaLen', kind: 'int', min: 1, when: captchaIs('normal') },
          { key: 'captcha_mode', kind: 'select', options: ['0', '1', '2', '3'], when: captchaIs('normal') },
          { key: 'captcha_IsShowNoiseDot', kind: 'bool', when: captchaIs('normal') },
          { key: 'captcha_IsShowSlimeLine', kind: 'bool', when: captchaIs('normal') },
          { key: 'captcha_IsShowSineLine', kind: 'bool', when: captchaIs('normal') },
          { key: 'captcha_ReCaptchaKey', kind: 'text', when: captchaIs('recaptcha') },
          { key: 'captcha_ReCaptchaSecret', kind: 'secret', when: captchaIs('recaptcha') },
          { key: 'captcha_turnstile_site_key', kind: 'text', when: captchaIs('turnstile') },
          { key: 'captcha_turnstile_site_secret', kind: 'secret', when: captchaIs('turnstile') },
          { key: 'captcha_cap_instance_url', kind: 'text', when: captchaIs('cap') },
          { key: 'captcha_cap_site_key', kind: 'text', when: captchaIs('cap') },
          { key: 'captcha_cap_secret_key', kind: 'secret', when: captchaIs('cap') },
        ],
      },
    ],
  },
  {
    id: 'mail',
    tool: 'testMail',
    sections: [{
      fields: [
        { key: 'fromName', kind: 'text' },
        { key: 'fromAdress', kind: 'email' },
        { key: 'smtpHost', kind: 'text' },
        { key: 'smtpPort', kind: 'int', min: 1 },
        { key: 'smtpUser', kind: 'text' },
        { key: 'smtpPass', kind: 'secret' },
        { key: 'smtpEncryption', kind: 'bool' },
        { key: 'replyTo', kind: 'text' },
        { key: 'mail_keepalive', kind: 'int' },
      ],
    }],
  },
  {
    id: 'filesystem',
    sections: [{
      fields: [
        { key: 'maxEditSize', kind: 'int', help: 'admin.help.bytes' },
        { key: 'upload_session_timeout', kind: 'int', help: 'admin.help.seconds' },
        { key: 'max_batched_file', kind: 'int', min: 1 },
        { key: 'max_page_size', kind: 'int', min: 1 },
        { key: 'max_recursive_searched_folder', kind: 'int', min: 1 },
        { key: 'archive_timeout', kind: 'int', help: 'admin.help.seconds' },
        { key: 'entity_url_default_ttl', kind: 'int', help: 'admin.help.seconds' },
        { key: 'public_resource_maxage', kind: 'int', help: 'admin.help.seconds' },
        { key: 'avatar_size', kind: 'int', help: 'admin.help.bytes' },
        { key: 'extract_max_files', kind: 'int' },
        { key: 'extract_max_size', kind: 'int', help: 'admin.help.bytes' },
        { key: 'mime_mapping', kind: 'json' },
      ],
    }],
  },
  {
    id: 'thumbnails',
    sections: [
      {
        fields: [
          { key: 'thumb_width', kind: 'int', min: 1 },
          { key: 'thumb_height', kind: 'int', min: 1 },
          { key: 'thumb_encode_method', kind: 'select', options: ['jpg', 'png', 'webp'] },
          { key: 'thumb_encode_quality', kind: 'int', min: 1 },
          { key: 'thumb_builtin_enabled', kind: 'bool' },
          { key: 'thumb_music_cover_enabled', kind: 'bool' },
          { key: 'thumb_music_cover_exts', kind: 'text', when: on('thumb_music_cover_enabled') },
        ],
      },
      {
        title: 'admin.section.vips',
        fields: [
          { key: 'thumb_vips_enabled', kind: 'bool' },
          { key: 'thumb_vips_path', kind: 'text', testExecutable: 'vips', when: on('thumb_vips_enabled') },
          { key: 'thumb_vips_exts', kind: 'text', when: on('thumb_vips_enabled') },
        ],
      },
      {
        title: 'admin.section.ffmpeg',
        fields: [
          { key: 'thumb_ffmpeg_enabled', kind: 'bool' },
          { key: 'thumb_ffmpeg_path', kind: 'text', testExecutable: 'ffmpeg', when: on('thumb_ffmpeg_enabled') },
          { key: 'thumb_ffmpeg_exts', kind: 'text', when: on('thumb_ffmpeg_enabled') },
          { key: 'thumb_ffmpeg_seek', kind: 'text', when: on('thumb_ffmpeg_enabled') },
        ],
      },
      {
        title: 'admin.section.libreoffice',
        fields: [
          { key: 'thumb_libreoffice_enabled', kind: 'bool' },
          { key: 'thumb_libreoffice_path', kind: 'text', testExecutable: 'libreOffice', when: on('thumb_libreoffice_enabled') },
          { key: 'thumb_libreoffice_exts', kind: 'text', when: on('thumb_libreoffice_enabled') },
        ],
      },
      {
        title: 'admin.section.libraw',
        fields: [
          { key: 'thumb_libraw_enabled', kind: 'bool' },
          { key: 'thumb_libraw_path', kind: 'text', testExecutable: 'libraw', when: on('thumb_libraw_enabled') },
          { key: 'thumb_libraw_exts', kind: 'text', when: on('thumb_libraw_enabled') },
        ],
      },
    ],
  },
  {
    id: 'media',
    sections: [{
      fields: [
        { key: 'media_meta_exif', kind: 'bool' },
        { key: 'media_meta_exif_size_local', kind: 'int', help: 'admin.help.bytes', when: on('media_meta_exif') },
        { key: 'media_meta_exif_size_remote', kind: 'int', help: 'admin.help.bytes', when: on('media_meta_exif') },
        { key: 'media_meta_music', kind: 'bool' },
        { key: 'media_meta_ffprobe', kind: 'bool' },
        { key: 'media_meta_ffprobe_path', kind: 'text', testExecutable: 'ffprobe', when: on('media_meta_ffprobe') },
        { key: 'media_meta_geocoding', kind: 'bool' },
        { key: 'media_meta_geocoding_mapbox_ak', kind: 'secret', when: on('media_meta_geocoding') },
      ],
    }],
  },
  {
    id: 'queue',
    sections: QUEUES.map((q) => ({
      title: `admin.queue.${q}`,
      fields: QUEUE_KEYS.map((k) => ({ key: `queue_${q}_${k}`, kind: 'int' as const, label: `admin.set.queue_${k}` })),
    })),
  },
  {
    id: 'webdav',
    sections: [{ fields: [{ key: 'webdav_propfind_infinity', kind: 'bool', help: 'admin.help.webdav_propfind_infinity' }] }],
  },
  {
    id: 'share',
    sections: [{
      fields: [
        { key: 'share_lookup_rate_limit', kind: 'int' },
        { key: 'share_lookup_rate_window', kind: 'int', help: 'admin.help.seconds' },
      ],
    }],
  },
  {
    id: 'appearance',
    sections: [{
      fields: [
        { key: 'defaultTheme', kind: 'text' },
        { key: 'theme_options', kind: 'json' },
      ],
    }],
  },
  {
    id: 'custom',
    sections: [{
      fields: [
        { key: 'custom_nav_items', kind: 'json', help: 'admin.help.custom_nav_items' },
        { key: 'headless_footer_html', kind: 'multiline' },
        { key: 'headless_bottom_html', kind: 'multiline' },
        { key: 'sidebar_bottom_html', kind: 'multiline' },
      ],
    }],
  },
];

export const allKeys = (page: SettingPage) => page.sections.flatMap((s) => s.fields.map((f) => f.key));

import type { Ctx } from './context.ts';
import { serializeUser, type CurrentUser } from './users.ts';
import { omitEmpty } from '../util/json.ts';

/** SiteConfig for one section (contract 10 §2.6); unknown sections fall back to `basic`. */
export async function siteConfigSection(ctx: Ctx, section: string, user: CurrentUser): Promise<Record<string, unknown>> {
  const s = ctx.settings;
  switch (section) {
    case 'login':
      return omitEmpty({
        login_captcha: s.bool('login_captcha'),
        reg_captcha: s.bool('reg_captcha'),
        forget_captcha: s.bool('forget_captcha'),
        authn: s.bool('authn_enabled'),
        register_enabled: s.bool('register_enabled'),
        tos_url: s.get('tos_url'),
        privacy_policy_url: s.get('privacy_policy_url'),
      });
    default:
      return omitEmpty({
        instance_id: s.get('siteID'),
        title: s.get('siteName'),
        themes: s.get('theme_options'),
        default_theme: s.get('defaultTheme'),
        user: serializeUser(ctx, user),
        logo: s.get('site_logo'),
        logo_light: s.get('site_logo_light'),
        captcha_type: s.get('captcha_type'),
        app_promotion: s.bool('show_app_promotion'),
      });
  }
}

import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { deliverMail } from '../../services/mail.ts';
import { recordAdminAction } from '../../services/admin-audit.ts';
import { executableVersion } from '../../media/executable-version.ts';
import { clearEntityUrlCache } from '../../transfer/download-url.ts';
import { typed } from '../typed.ts';
import { ADMIN } from './common.ts';
import { fetchWopiViewers } from './wopi.ts';

const str = (max = 1024) => Type.Optional(Type.String({ maxLength: max }));
const MailBody = Type.Object({
  to: Type.String({ minLength: 1, maxLength: 255 }),
  settings: Type.Object({
    smtpHost: Type.String({ maxLength: 255 }),
    smtpPort: Type.Union([Type.String({ maxLength: 16 }), Type.Integer()]),
    smtpUser: str(), smtpPass: str(), smtpEncryption: Type.Optional(Type.Union([Type.String({ maxLength: 8 }), Type.Boolean()])),
    fromAdress: str(255), replyTo: str(255), fromName: str(255),
  }),
});

/** Admin tools (contract 60 §5 Tools). */
export async function adminToolRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/admin/tool/mail', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Send a test mail with unsaved SMTP settings', body: MailBody },
  }, async (req) => {
    const s = req.body.settings;
    const to = req.body.to.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(to)) throw new AppError(Code.ParamErr, 'Invalid recipient address');
    const port = Number(s.smtpPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AppError(Code.ParamErr, 'Invalid SMTP port');
    if (!s.smtpHost.trim()) throw new AppError(Code.ParamErr, 'SMTP host cannot be empty');
    const enc = s.smtpEncryption;
    try {
      await deliverMail({
        smtpHost: s.smtpHost.trim(), smtpPort: port, smtpUser: s.smtpUser ?? '', smtpPass: s.smtpPass ?? '',
        smtpEncryption: enc === true || enc === '1' || enc === 'true', fromAdress: s.fromAdress ?? '', fromName: s.fromName ?? '', replyTo: (s.replyTo ?? '').trim(),
      }, {
        to,
        subject: 'Cloudreve SMTP Test',
        html: `<p>This is a test email from ${ctx.settings.get('siteName').replace(/[<>&"']/g, '')} sent with the SMTP settings being edited.</p>`,
      });
    } catch (e) {
      throw new AppError(Code.InternalSetting, `Failed to send test email: ${String((e as Error)?.message ?? e).slice(0, 300)}`, { cause: e });
    }
    return ok();
  });

  r.post('/admin/tool/thumbExecutable', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Check a media executable (vips, ffmpeg, ffprobe, libreOffice, libraw) and return its version',
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 32 }), executable: Type.String({ minLength: 1, maxLength: 4096 }) }),
    },
  }, async (req) => ok(await executableVersion(req.body.name, req.body.executable)));

  r.delete('/admin/tool/entityUrlCache', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Drop cached signed entity URLs' },
  }, async (req) => {
    await clearEntityUrlCache(ctx);
    await recordAdminAction(ctx, req.user, 'tool.clear_entity_url_cache', 'entity_url_cache');
    return ok();
  });

  r.get('/admin/tool/wopi', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Fetch a WOPI discovery document and convert it to a viewer group',
      querystring: Type.Object({ endpoint: Type.String({ minLength: 1, maxLength: 4096 }) }),
    },
  }, async (req) => ok(await fetchWopiViewers(ctx, req.query.endpoint)));
}

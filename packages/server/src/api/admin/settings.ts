import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { patchSettings, readSettings } from '../../services/admin-settings.ts';
import { typed } from '../typed.ts';
import { ADMIN } from './common.ts';

/** POST/PATCH /admin/settings (contract 60 §5). */
export async function adminSettingsRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  r.post('/admin/settings', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Read settings by key (existing keys only; secret_key is never returned)',
      body: Type.Object({ keys: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 2000 }) }),
    },
  }, async (req) => ok(readSettings(ctx, req.body.keys)));

  r.patch('/admin/settings', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Save settings (string values; any secret_key value regenerates the signing key)',
      body: Type.Object({ settings: Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 1_000_000 })) }),
    },
  }, async (req) => ok(await patchSettings(ctx, req.user, req.body.settings)));
}

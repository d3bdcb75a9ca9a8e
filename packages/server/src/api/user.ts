import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { typed } from './typed.ts';
import { serializeUser } from '../services/users.ts';

/** The signed-in user's own data and public profiles (contract 10 §5–6). */
export async function userRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  r.get('/user/me', { config: { scope: 'user' }, schema: { tags: ['user'], summary: 'Current user' } }, async (req) => ok(serializeUser(ctx, req.user)));

  r.get('/user/capacity', { config: { scope: 'user' }, schema: { tags: ['user'], summary: 'Quota used/total' } }, async (req) =>
    ok({ total: req.user.group.max_storage, used: req.user.row.storage }));
}

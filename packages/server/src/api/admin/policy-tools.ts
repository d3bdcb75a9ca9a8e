import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { policySettings, type PolicyRow } from '../../storage/policies.ts';
import { probePolicy } from '../../storage/probe.ts';
import { isS3Family, s3Config } from '../../storage/s3/config.ts';
import { putBucketCors, S3AdminError } from '../../storage/s3/s3-admin.ts';
import { typed } from '../typed.ts';
import { ADMIN } from './common.ts';
import { columns, PolicyBody, type PolicyInput } from './policies.ts';

/** Unsaved form values as the dashboard sends them (the name may still be empty). */
const FormBody = Type.Object({ policy: Type.Object({ ...PolicyBody.properties, name: Type.Optional(Type.String({ maxLength: 255 })) }) });
const CORS_TYPES = ['oss', 'cos', 's3', 'obs'];

/** A policy row from form values (validated like a save: unknown type or node → 40001), never stored. */
async function formRow(ctx: Ctx, p: Omit<PolicyInput, 'name'> & { name?: string }): Promise<PolicyRow> {
  const values = await columns(ctx, { ...p, name: p.name || '(unsaved)' });
  return { ...values, id: p.id ?? 0, created_at: 0, updated_at: 0 };
}

/** The origins allowed to talk to a bucket from a browser: every siteURL entry, `*` when none is set. */
function siteOrigins(ctx: Ctx): string[] {
  const out = new Set<string>();
  for (const e of ctx.settings.get('siteURL', '').split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      out.add(new URL(e).origin);
    } catch { /* not a URL: skipped */ }
  }
  return out.size ? [...out] : ['*'];
}

/**
 * Admin tools on unsaved policy form values: POST /admin/policy/test (ours: probes the backend) and
 * POST /admin/policy/cors (contract 60 §5). Both are read-only for this server's data, so they are not
 * audited.
 */
export async function adminPolicyToolRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/admin/policy/test', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Test a storage policy\'s connection (ours)',
      description: 'Builds the backend from the unsaved form and probes it: S3 family writes, reads back and deletes a probe object; '
        + 'remote pings the node (signed); local writes a probe file. Returns `{summary}`. Bad form values → 40001; backend failure → 50005 '
        + 'with what failed in `msg` (the secret key is never echoed).',
      body: FormBody,
    },
  }, async (req) => ok({ summary: await probePolicy(ctx, await formRow(ctx, req.body.policy)) }));

  r.post('/admin/policy/cors', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Create a CORS rule on a policy bucket',
      description: 'For `oss`, `cos`, `s3`, `obs` (PutBucketCors: the siteURL origins, GET/PUT/POST/HEAD, any header, ETag exposed); '
        + 'other types → 40001; provider failure → 50005 with the provider\'s message.',
      body: Type.Object({ policy: Type.Object({ ...FormBody.properties.policy.properties, type: Type.String({ maxLength: 32 }) }) }),
    },
  }, async (req) => {
    const p = req.body.policy;
    if (!CORS_TYPES.includes(p.type) || !isS3Family(p.type)) throw new AppError(Code.ParamErr, 'Unsupported policy type');
    const row = await formRow(ctx, p);
    let cfg;
    try {
      cfg = s3Config(row, policySettings(row));
      if (cfg.serverEndpoint) new URL(cfg.serverEndpoint);
    } catch {
      throw new AppError(Code.ParamErr, 'Invalid endpoint address');
    }
    if (!cfg.bucket) throw new AppError(Code.ParamErr, 'Bucket name is required');
    try {
      await putBucketCors(cfg, siteOrigins(ctx));
    } catch (e) {
      if (e instanceof S3AdminError) throw new AppError(Code.InternalSetting, `Failed to create cors: ${e.message}`, { cause: e });
      throw e;
    }
    return ok();
  });
}

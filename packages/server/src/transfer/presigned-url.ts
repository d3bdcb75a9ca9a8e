import type { Ctx } from '../services/context.ts';
import type { EntityRow } from '../fs/types.ts';
import { driverFor, loadPolicy, policySettings } from '../storage/policies.ts';
import type { SignedUrl } from './download-url.ts';
import { transferSettings } from './settings.ts';

export interface PresignRequest {
  /** Display name (download name when `download`). */
  name: string;
  /** Bytes per second, 0 = unlimited (backends that enforce it, e.g. remote nodes). */
  speed: number;
  download: boolean;
}

/**
 * A URL served by the storage backend itself (contract 30 §2.1: remote node, S3 …) when the entity's
 * driver can presign and the policy does not ask for proxying through this server
 * (`internal_proxy`); undefined otherwise, and the caller builds an internal content URL.
 */
export async function presignedEntityUrl(ctx: Ctx, entity: Pick<EntityRow, 'source' | 'storage_policy_id'>, req: PresignRequest): Promise<SignedUrl | undefined> {
  const policy = await loadPolicy(ctx, Number(entity.storage_policy_id));
  if (policySettings(policy).internal_proxy) return undefined;
  const driver = driverFor(ctx, policy);
  if (!driver.presignDownload) return undefined;
  let ttl = transferSettings(ctx).entityUrlTtl;
  if (driver.capabilities.maxPresignTtl > 0) ttl = Math.min(ttl, driver.capabilities.maxPresignTtl);
  const expires = Math.floor(ctx.now() / 1000) + ttl;
  const { url } = await driver.presignDownload(entity.source, { expiresAt: expires, downloadName: req.download ? req.name : undefined, name: req.name, speed: req.speed });
  return { url, expiresAt: expires * 1000 };
}

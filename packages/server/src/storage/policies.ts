import path from 'node:path';
import type { Selectable } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import type { StoragePoliciesTable } from '../db/tables.ts';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import { parseJson } from '../util/json.ts';
import type { StorageDriver } from './driver.ts';
import { LocalDriver } from './local/local-driver.ts';
import { S3Driver } from './s3/s3-driver.ts';
import { s3Config } from './s3/config.ts';
import { RemoteDriver } from './remote/remote-driver.ts';

export type PolicyRow = Selectable<StoragePoliciesTable>;

/** The JSON in `storage_policies.settings` (Cloudreve PolicySetting names). */
export interface PolicySettings {
  /** Bytes per upload chunk; 0 = whole file in one request. */
  chunk_size?: number;
  pre_allocate?: boolean;
  /** Extension whitelist without dots (Cloudreve `file_type`); empty = all. */
  file_type?: string[];
  denied_suffix?: string[];
  allowed_name_regexp?: string;
  denied_name_regexp?: string;
  chunk_concurrency?: number;
  relay?: boolean;
  /** Largest source a thumbnail is generated from, bytes (0 = no limit). */
  thumb_max_size?: number;
  [k: string]: unknown;
}

export const DEFAULT_CHUNK_SIZE = 25 * 1024 * 1024;

export function policySettings(p: PolicyRow): PolicySettings {
  return parseJson<PolicySettings>(p.settings, {});
}

export async function loadPolicy(ctx: Ctx, id: number): Promise<PolicyRow> {
  const row = await ctx.db.kysely.selectFrom('storage_policies').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError(Code.PolicyNotExist, 'Storage policy not exist');
  return row;
}

/** Where the local driver keeps blobs and in-progress uploads for this deployment. */
export function localDirs(ctx: Ctx): { root: string; tempDir: string } {
  return { root: path.join(ctx.cfg.dataDir, 'uploads'), tempDir: path.join(ctx.cfg.dataDir, 'temp', 'uploads') };
}

const drivers = new WeakMap<Ctx, Map<string, StorageDriver>>();

/** The driver serving a policy (cached per policy version). Unknown types → 40006. */
export function driverFor(ctx: Ctx, policy: PolicyRow): StorageDriver {
  let cache = drivers.get(ctx);
  if (!cache) drivers.set(ctx, (cache = new Map()));
  const cacheKey = `${policy.id}:${policy.updated_at}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  let driver: StorageDriver;
  switch (policy.type) {
    case 'local':
      driver = new LocalDriver(localDirs(ctx));
      break;
    case 'remote':
      driver = new RemoteDriver(ctx, { id: policy.id, node_id: policy.node_id === null ? null : Number(policy.node_id) });
      break;
    case 's3': case 'ks3': case 'cos': case 'oss': case 'obs':
      driver = new S3Driver({ ...s3Config(policy, policySettings(policy)), stagingDir: path.join(ctx.cfg.dataDir, 'temp', 's3-relay', String(policy.id)), now: () => ctx.now() });
      break;
    default:
      throw new AppError(Code.PolicyNotAllowed, `Storage policy type "${policy.type}" is not supported by this server`);
  }
  cache.set(cacheKey, driver);
  return driver;
}

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import { siteBaseUrl } from '../services/share-serialize.ts';
import { LocalDriver } from './local/local-driver.ts';
import { localDirs, policySettings, type PolicyRow } from './policies.ts';
import { isS3Family, s3Config } from './s3/config.ts';
import { ADMIN_TIMEOUT_MS, probeS3, S3AdminError } from './s3/s3-admin.ts';
import { NodeClient } from './remote/node-client.ts';

/**
 * The admin "test connection" of a storage policy, from form values that need not be saved. Bad form
 * values → 40001; a backend that fails → 50005 with a message naming what failed. Returns a summary.
 */
export async function probePolicy(ctx: Ctx, policy: PolicyRow): Promise<string> {
  if (policy.type === 'local') return probeLocal(ctx);
  if (policy.type === 'remote') return probeRemote(ctx, policy);
  if (isS3Family(policy.type)) {
    if (!policy.bucket_name && policy.type !== 'cos') throw new AppError(Code.ParamErr, 'Bucket name is required');
    if (!policy.access_key || !policy.secret_key) throw new AppError(Code.ParamErr, 'Access key and secret key are required');
    let cfg;
    try {
      cfg = s3Config(policy, policySettings(policy));
      if (cfg.serverEndpoint) new URL(cfg.serverEndpoint);
    } catch {
      throw new AppError(Code.ParamErr, 'Invalid endpoint address');
    }
    if (!cfg.bucket) throw new AppError(Code.ParamErr, 'Bucket name is required');
    try {
      return await probeS3(cfg, keyPrefix(policy.dir_name_rule));
    } catch (e) {
      if (e instanceof S3AdminError) throw new AppError(Code.InternalSetting, e.message, { cause: e });
      throw e;
    }
  }
  throw new AppError(Code.InternalSetting, `Testing storage type "${policy.type}" is not supported by this server`);
}

/** The fixed leading folders of a path rule ("remote/{uid}/{path}" → "remote/"): where the probe object goes. */
export function keyPrefix(dirRule: string): string {
  const fixed = dirRule.split('{')[0]!.replace(/^\/+/, '');
  const cut = fixed.lastIndexOf('/');
  return cut < 0 ? '' : fixed.slice(0, cut + 1);
}

async function probeLocal(ctx: Ctx): Promise<string> {
  const dirs = localDirs(ctx);
  const driver = new LocalDriver(dirs);
  const key = `.cloudreve-probe-${randomUUID()}`;
  const body = Buffer.from(`cloudreve connection test ${new Date().toISOString()}`);
  const fail = (what: string, e: unknown) =>
    new AppError(Code.InternalSetting, `Local storage: cannot ${what} the probe file under ${dirs.root}: ${(e as Error)?.message ?? e}`, { cause: e });
  try {
    await driver.put(key, Readable.from([body]), { size: body.length });
  } catch (e) {
    throw fail('write', e);
  }
  try {
    const parts: Buffer[] = [];
    for await (const c of await driver.get(key)) parts.push(c as Buffer);
    if (!Buffer.concat(parts).equals(body)) throw new Error('the bytes read back differ from what was written');
  } catch (e) {
    await driver.delete([key]).catch(() => undefined);
    throw fail('read back', e);
  }
  const failed = await driver.delete([key]);
  if (failed.length) throw new AppError(Code.InternalSetting, `Local storage: cannot delete the probe file under ${dirs.root}`);
  return `Wrote, read back and deleted a probe file under ${dirs.root}`;
}

async function probeRemote(ctx: Ctx, policy: PolicyRow): Promise<string> {
  if (!policy.node_id) throw new AppError(Code.ParamErr, 'Select the storage node of this policy');
  const row = await ctx.db.kysely.selectFrom('nodes').selectAll().where('id', '=', Number(policy.node_id)).executeTakeFirst();
  if (!row || row.type !== 'slave') throw new AppError(Code.ParamErr, `Node ${policy.node_id} is not a slave node`);
  const name = `node "${row.name}" (${row.server})`;
  let client: NodeClient;
  try {
    client = new NodeClient({ id: Number(row.id), server: row.server, secret: row.slave_key }, {
      siteUrl: siteBaseUrl(ctx), siteId: ctx.settings.get('siteID', ''), timeoutMs: ADMIN_TIMEOUT_MS,
    });
  } catch {
    throw new AppError(Code.InternalSetting, `Remote: ${name} has an invalid server address`);
  }
  let env;
  try {
    env = await client.call('POST', '/ping', { callback: siteBaseUrl(ctx) });
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.message || (e as Error).message;
    throw new AppError(Code.InternalSetting, `Remote: ${name} unreachable: ${reason}`, { cause: e });
  }
  if (env.code === Code.InvalidSign || env.code === Code.SignExpired) {
    throw new AppError(Code.InternalSetting, `Remote: ${name} rejected the signature (code ${env.code}); check the node's secret and both clocks`);
  }
  if (env.code !== 0) throw new AppError(Code.InternalSetting, `Remote: ${name} answered the ping with code ${env.code}${env.msg ? `: ${env.msg}` : ''}`);
  if (row.status !== 'active') return `${name} answered the signed ping, but the node is suspended`;
  return `${name} answered the signed ping`;
}

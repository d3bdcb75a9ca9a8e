import type { Config } from '../config/config.ts';
import type { Db } from '../db/connect.ts';
import type { KV } from '../kv/kv.ts';
import type { HashIds } from '../util/hashid.ts';
import type { Settings } from './settings.ts';
import type { Logger } from '../util/logger.ts';

/** Everything a service needs, built once in app.ts. Services take this, never Fastify. */
export interface Ctx {
  cfg: Config;
  db: Db;
  kv: KV;
  settings: Settings;
  hashids: HashIds;
  log: Logger;
  /** Overridable clock for tests of expiry. */
  now(): number;
}

import fs from 'node:fs';
import path from 'node:path';
import { randomString } from '../util/random.ts';
import { CONFIG_SCHEMA, OPTION_OVERWRITE, SECTION_ALIASES, type KeySpec, type SectionName } from './schema.ts';
import { parseIni, stringifyIni, type IniData } from './ini.ts';

export interface ListenAddress { host: string; port: number }

export interface Config {
  /** Absolute path of the conf.ini this config came from. */
  file: string;
  /** Directory that holds the database file, uploads and temp data. */
  dataDir: string;
  system: { mode: 'master' | 'slave'; listen: ListenAddress; debug: boolean; logLevel: string; proxyHeader: string };
  database: {
    type: 'sqlite' | 'postgres' | 'mysql';
    host: string; port: number; user: string; password: string; name: string;
    dbFile: string; tablePrefix: string; unixSocket: boolean;
  };
  redis: { server: string; user: string; password: string; db: number };
  cors: { allowOrigins: string[]; allowMethods: string[]; allowHeaders: string[]; allowCredentials: boolean; exposeHeaders: string[] };
  ssl: { listen: ListenAddress; certPath: string; keyPath: string };
  unix: { listen: string; perm: number };
  slave: { secret: string; callbackTimeout: number; signatureTTL: number };
  /** Setting values that take precedence over the database (`[OptionOverwrite]`, `CR_SETTING_<name>`). */
  optionOverwrite: Record<string, string>;
  /** Effective raw values (after env overrides), for `config print`. */
  raw: Record<string, Record<string, string>>;
}

export class ConfigError extends Error {}

function parseListen(key: string, v: string): ListenAddress {
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(v.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 0 || port > 65535) throw new ConfigError(`${key}: "${v}" is not a listen address like ":5212" or "127.0.0.1:5212"`);
  let host = m[1]!;
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { host: host || '0.0.0.0', port };
}

function parseInt10or8(spec: KeySpec, v: string): number {
  const t = v.trim();
  return spec.octal && /^0[0-7]+$/.test(t) ? Number.parseInt(t, 8) : Number(t);
}

function checkValue(key: string, spec: KeySpec, v: string): void {
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(v.trim())) throw new ConfigError(`${key}: "${v}" is not an integer`);
      const n = parseInt10or8(spec, v);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new ConfigError(`${key}: ${v} is out of range (${spec.min ?? '…'}–${spec.max ?? '…'})`);
      }
      break;
    }
    case 'bool':
      if (!BOOL_RE.test(v.trim())) throw new ConfigError(`${key}: "${v}" is not a boolean (true/false)`);
      break;
    case 'enum':
      if (!spec.values!.includes(v.trim().toLowerCase()) && !spec.values!.includes(v.trim()))
        throw new ConfigError(`${key}: "${v}" must be one of ${spec.values!.join(', ')}`);
      break;
    case 'listen':
      parseListen(key, v);
      break;
  }
}

const BOOL_RE = /^(1|0|t|f|true|false|y|n|yes|no|on|off)$/i;
const toBool = (v: string) => /^(1|t|true|y|yes|on)$/i.test(v.trim());
const toList = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

type Schema = Record<string, Record<string, KeySpec>>;

/** The canonical section name for `name` (case-insensitive, aliases allowed), or undefined. */
function canonicalSection(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower === OPTION_OVERWRITE.toLowerCase()) return OPTION_OVERWRITE;
  return Object.keys(CONFIG_SCHEMA).find((s) => s.toLowerCase() === lower) ?? SECTION_ALIASES[lower];
}

/** The canonical key of `section` for `name`; OptionOverwrite keys are free-form and keep their case. */
function canonicalKey(section: string, name: string, where: string): string {
  if (section === OPTION_OVERWRITE) return name;
  const key = Object.keys((CONFIG_SCHEMA as Schema)[section]!).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key) throw new ConfigError(`${where}: unknown key "${name}" in section [${section}]`);
  return key;
}

/** Maps every section and key of a parsed conf.ini to its canonical spelling; unknown ones are errors. */
function normalizeIni(ini: IniData, file: string): IniData {
  const out: IniData = {};
  for (const [sectionIn, keys] of Object.entries(ini)) {
    if (sectionIn === '' && Object.keys(keys).length === 0) continue;
    if (sectionIn === '') throw new ConfigError(`${file}: key "${Object.keys(keys)[0]}" is outside any [Section]`);
    const section = canonicalSection(sectionIn);
    if (!section) throw new ConfigError(`${file}: unknown section [${sectionIn}]`);
    for (const [k, v] of Object.entries(keys)) (out[section] ??= {})[canonicalKey(section, k, `${sectionIn}.${k}`)] = v;
  }
  return out;
}

/**
 * Applies CR_CONF_<Section>.<Key> overrides (section and key matched case-insensitively).
 * `CR_CONF_<Section>_<Key>` is accepted too: POSIX shells (and so `npm start`) drop variables
 * whose names contain a dot. `CR_SETTING_<name>` overrides one database setting.
 */
export function applyEnvOverrides(raw: IniData, env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.startsWith('CR_SETTING_') && name.length > 'CR_SETTING_'.length) {
      (raw[OPTION_OVERWRITE] ??= {})[name.slice('CR_SETTING_'.length)] = value;
      continue;
    }
    if (!name.startsWith('CR_CONF_')) continue;
    const rest = name.slice('CR_CONF_'.length);
    const sep = rest.search(/[._]/);
    if (sep <= 0 || sep === rest.length - 1) throw new ConfigError(`${name}: expected CR_CONF_<Section>.<Key>`);
    const sectionIn = rest.slice(0, sep);
    const section = canonicalSection(sectionIn);
    if (!section) throw new ConfigError(`${name}: unknown config section "${sectionIn}"`);
    (raw[section] ??= {})[canonicalKey(section, rest.slice(sep + 1), name)] = value;
  }
}

function defaultIni(): IniData {
  return {
    System: { Mode: 'master', Listen: ':5212', Debug: 'false', LogLevel: 'info' },
    Database: { Type: 'sqlite', DBFile: 'cloudreve.db' },
    Redis: { Server: '', Password: '', DB: '0' },
    Slave: { Secret: randomString(64) },
  };
}

/**
 * Loads conf.ini (creating it with defaults and a generated secret when missing), applies
 * CR_CONF_* environment overrides and validates every value. Throws ConfigError naming the key.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const abs = path.resolve(file);
  let ini: IniData;
  if (fs.existsSync(abs)) {
    ini = parseIni(fs.readFileSync(abs, 'utf8'));
  } else {
    ini = defaultIni();
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    const tmp = `${abs}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, stringifyIni(ini), { mode: 0o600 });
    fs.renameSync(tmp, abs);
  }
  ini = normalizeIni(ini, abs);
  applyEnvOverrides(ini, env);

  const raw: Record<string, Record<string, string>> = {};
  for (const [section, keys] of Object.entries(CONFIG_SCHEMA as Schema)) {
    const given = ini[section] ?? {};
    raw[section] = {};
    for (const [key, spec] of Object.entries(keys)) {
      // An empty value means "use the default" for typed keys, as an absent key does.
      const set = given[key] !== undefined && (spec.type === 'string' || given[key]!.trim() !== '');
      if (set) checkValue(`${section}.${key}`, spec, given[key]!);
      raw[section][key] = set ? given[key]!.trim() : spec.default;
    }
  }
  const optionOverwrite = { ...(ini[OPTION_OVERWRITE] ?? {}) };
  if (Object.keys(optionOverwrite).length) raw[OPTION_OVERWRITE] = optionOverwrite;
  const s = (sec: string, k: string) => raw[sec]![k]!;
  const dataDir = path.dirname(abs);
  let dbType = s('Database', 'Type').toLowerCase();
  if (dbType === 'sqlite3') dbType = 'sqlite';
  if (dbType === 'mariadb') dbType = 'mysql';
  const dbFile = s('Database', 'DBFile');
  const allowOrigins = s('CORS', 'AllowOrigins');

  return {
    file: abs,
    dataDir,
    raw,
    system: {
      mode: s('System', 'Mode').toLowerCase() as 'master' | 'slave',
      listen: parseListen('System.Listen', s('System', 'Listen')),
      debug: toBool(s('System', 'Debug')),
      logLevel: s('System', 'LogLevel').toLowerCase(),
      proxyHeader: s('System', 'ProxyHeader'),
    },
    database: {
      type: dbType as Config['database']['type'],
      host: s('Database', 'Host'),
      port: Number(s('Database', 'Port')) || (dbType === 'postgres' ? 5432 : dbType === 'mysql' ? 3306 : 0),
      user: s('Database', 'User') || (dbType === 'postgres' ? 'postgres' : 'root'),
      password: s('Database', 'Password'),
      name: s('Database', 'Name'),
      dbFile: path.isAbsolute(dbFile) ? dbFile : path.join(dataDir, dbFile),
      tablePrefix: s('Database', 'TablePrefix'),
      unixSocket: toBool(s('Database', 'UnixSocket')),
    },
    redis: { server: s('Redis', 'Server'), user: s('Redis', 'User'), password: s('Redis', 'Password'), db: Number(s('Redis', 'DB')) },
    cors: {
      allowOrigins: allowOrigins === 'UNSET' ? [] : toList(allowOrigins),
      allowMethods: toList(s('CORS', 'AllowMethods')),
      allowHeaders: toList(s('CORS', 'AllowHeaders')),
      allowCredentials: toBool(s('CORS', 'AllowCredentials')),
      exposeHeaders: toList(s('CORS', 'ExposeHeaders')),
    },
    ssl: { listen: parseListen('SSL.Listen', s('SSL', 'Listen')), certPath: s('SSL', 'CertPath'), keyPath: s('SSL', 'KeyPath') },
    unix: { listen: s('UnixSocket', 'Listen'), perm: parseInt10or8(CONFIG_SCHEMA.UnixSocket.Perm, s('UnixSocket', 'Perm')) },
    slave: { secret: s('Slave', 'Secret'), callbackTimeout: Number(s('Slave', 'CallbackTimeout')), signatureTTL: Number(s('Slave', 'SignatureTTL')) },
    optionOverwrite,
  };
}

/** The effective configuration as INI text, secrets masked. */
export function printableConfig(cfg: Config): string {
  const masked: IniData = {};
  for (const [section, keys] of Object.entries(cfg.raw)) {
    masked[section] = {};
    for (const [k, v] of Object.entries(keys)) {
      const spec = (CONFIG_SCHEMA as Schema)[section]?.[k];
      const secret = spec ? spec.secret : /secret|pass|key|salt/i.test(k);
      masked[section][k] = secret && v ? '***' : v;
    }
  }
  return stringifyIni(masked);
}

/**
 * Keys that are accepted (so Cloudreve's conf.ini files load) but have no effect yet; the server
 * logs one warning per key that is set, so nobody believes TLS or a Unix socket is active.
 */
export function ineffectiveKeys(cfg: Config): string[] {
  const out: string[] = [];
  const r = cfg.raw;
  if (r.SSL!.CertPath || r.SSL!.KeyPath) out.push('SSL.CertPath/KeyPath: TLS is not served by cloudreve-ts; terminate TLS in a reverse proxy');
  if (r.UnixSocket!.Listen) out.push('UnixSocket.Listen: listening on a Unix socket is not supported; the server listens on System.Listen');
  if (cfg.database.unixSocket) out.push('Database.UnixSocket: not supported; connecting to Database.Host over TCP');
  return out;
}

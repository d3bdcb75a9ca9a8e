/**
 * The conf.ini schema: every section/key we understand, its type and default.
 * Keys follow Cloudreve's names so existing conf.ini files keep working.
 */
export type KeyType = 'string' | 'int' | 'bool' | 'enum' | 'listen';

export interface KeySpec {
  type: KeyType;
  default: string;
  values?: readonly string[];
  /** Inclusive bounds of an int. */
  min?: number;
  max?: number;
  /** Ints written with a leading 0 are octal (file permissions), as Go's ParseUint(s, 0, …) reads them. */
  octal?: boolean;
  /** Printed as "***" by `config print`. */
  secret?: boolean;
}

export const CONFIG_SCHEMA = {
  System: {
    Mode: { type: 'enum', values: ['master', 'slave'], default: 'master' },
    Listen: { type: 'listen', default: ':5212' },
    Debug: { type: 'bool', default: 'false' },
    LogLevel: { type: 'enum', values: ['debug', 'info', 'warning', 'error'], default: 'info' },
    ProxyHeader: { type: 'string', default: 'X-Forwarded-For' },
    GracePeriod: { type: 'int', default: '0', min: 0 },
    // Written by Cloudreve into every conf.ini; accepted so existing files load, not used.
    SessionSecret: { type: 'string', default: '', secret: true },
    HashIDSalt: { type: 'string', default: '', secret: true },
  },
  Database: {
    Type: { type: 'enum', values: ['sqlite', 'sqlite3', 'postgres', 'mysql', 'mariadb'], default: 'sqlite' },
    Host: { type: 'string', default: '127.0.0.1' },
    Port: { type: 'int', default: '0', min: 0, max: 65535 },
    User: { type: 'string', default: '' },
    Password: { type: 'string', default: '', secret: true },
    Name: { type: 'string', default: 'cloudreve' },
    DBFile: { type: 'string', default: 'cloudreve.db' },
    TablePrefix: { type: 'string', default: '' },
    Charset: { type: 'string', default: 'utf8mb4' },
    UnixSocket: { type: 'bool', default: 'false' },
  },
  Redis: {
    Network: { type: 'enum', values: ['tcp', 'unix'], default: 'tcp' },
    Server: { type: 'string', default: '' },
    User: { type: 'string', default: '' },
    Password: { type: 'string', default: '', secret: true },
    DB: { type: 'int', default: '0', min: 0 },
  },
  CORS: {
    AllowOrigins: { type: 'string', default: 'UNSET' },
    AllowMethods: { type: 'string', default: 'PUT,POST,GET,OPTIONS' },
    AllowHeaders: { type: 'string', default: 'Cookie,X-Cr-Policy,Authorization,Content-Length,Content-Type,X-Cr-Path,X-Cr-FileName' },
    AllowCredentials: { type: 'bool', default: 'false' },
    ExposeHeaders: { type: 'string', default: '' },
    SameSite: { type: 'string', default: 'Default' },
    Secure: { type: 'bool', default: 'false' },
  },
  SSL: {
    Listen: { type: 'listen', default: ':443' },
    CertPath: { type: 'string', default: '' },
    KeyPath: { type: 'string', default: '' },
  },
  /** Cloudreve's name; `[Unix]` is accepted as an alias. */
  UnixSocket: {
    Listen: { type: 'string', default: '' },
    Perm: { type: 'int', default: '0', min: 0, max: 0o7777, octal: true },
  },
  Slave: {
    Secret: { type: 'string', default: '', secret: true },
    CallbackTimeout: { type: 'int', default: '20', min: 1 },
    SignatureTTL: { type: 'int', default: '600', min: 1 },
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

/** Accepted spellings of section names besides the canonical ones (compared case-insensitively). */
export const SECTION_ALIASES: Record<string, keyof typeof CONFIG_SCHEMA> = { unix: 'UnixSocket' };

/**
 * Free-form section: every key overrides the database setting of the same name (Cloudreve's
 * `[OptionOverwrite]`). Keys keep their case, as setting names are case-sensitive.
 */
export const OPTION_OVERWRITE = 'OptionOverwrite';

export type ConfigSchema = typeof CONFIG_SCHEMA;
export type SectionName = keyof ConfigSchema;

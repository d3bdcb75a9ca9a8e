/**
 * The conf.ini schema: every section/key we understand, its type and default.
 * Keys follow Cloudreve's names so existing conf.ini files keep working.
 */
export type KeyType = 'string' | 'int' | 'bool' | 'enum' | 'listen';

export interface KeySpec {
  type: KeyType;
  default: string;
  values?: readonly string[];
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
  },
  Database: {
    Type: { type: 'enum', values: ['sqlite', 'sqlite3', 'postgres', 'mysql', 'mariadb'], default: 'sqlite' },
    Host: { type: 'string', default: '127.0.0.1' },
    Port: { type: 'int', default: '0' },
    User: { type: 'string', default: '' },
    Password: { type: 'string', default: '', secret: true },
    Name: { type: 'string', default: 'cloudreve' },
    DBFile: { type: 'string', default: 'cloudreve.db' },
    TablePrefix: { type: 'string', default: '' },
    Charset: { type: 'string', default: 'utf8mb4' },
    UnixSocket: { type: 'bool', default: 'false' },
  },
  Redis: {
    Server: { type: 'string', default: '' },
    User: { type: 'string', default: '' },
    Password: { type: 'string', default: '', secret: true },
    DB: { type: 'int', default: '0' },
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
  Unix: {
    Listen: { type: 'string', default: '' },
    Perm: { type: 'int', default: '0' },
  },
  Slave: {
    Secret: { type: 'string', default: '', secret: true },
    CallbackTimeout: { type: 'int', default: '20' },
    SignatureTTL: { type: 'int', default: '600' },
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

export type ConfigSchema = typeof CONFIG_SCHEMA;
export type SectionName = keyof ConfigSchema;

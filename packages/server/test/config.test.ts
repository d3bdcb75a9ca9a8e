import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ineffectiveKeys, loadConfig, printableConfig } from '../src/config/config.ts';
import { CONFIG_SCHEMA } from '../src/config/schema.ts';
import { startServer } from './helpers/server.ts';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-config-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(tmpRoot, 'c-'));
});

const confFile = (text?: string) => {
  const file = path.join(dir, 'conf.ini');
  if (text !== undefined) fs.writeFileSync(file, text);
  return file;
};

/** Expects a ConfigError whose message names `key`. */
function expectRejected(run: () => unknown, key: string): void {
  let err: unknown;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ConfigError naming ${key}`).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toContain(key);
}

describe('conf.ini loading', () => {
  it('creates a missing file with defaults and a private generated secret, then reads it back', () => {
    const file = path.join(dir, 'nested', 'conf.ini');
    const cfg = loadConfig(file, {});
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(cfg.file).toBe(file);
    expect(cfg.dataDir).toBe(path.dirname(file));
    expect(cfg.system).toEqual({ mode: 'master', listen: { host: '0.0.0.0', port: 5212 }, debug: false, logLevel: 'info', proxyHeader: 'X-Forwarded-For' });
    expect(cfg.database).toMatchObject({ type: 'sqlite', dbFile: path.join(path.dirname(file), 'cloudreve.db'), tablePrefix: '' });
    expect(cfg.redis).toEqual({ server: '', user: '', password: '', db: 0 });
    expect(cfg.cors.allowOrigins).toEqual([]);
    expect(cfg.slave.secret).toMatch(/^[0-9a-zA-Z]{64}$/);
    expect(cfg.slave).toMatchObject({ callbackTimeout: 20, signatureTTL: 600 });
    expect(cfg.optionOverwrite).toEqual({});
    expect(loadConfig(file, {}).slave.secret).toBe(cfg.slave.secret);
  });

  it('every schema key has a default that passes its own validation', () => {
    const cfg = loadConfig(confFile(''), {});
    for (const [section, keys] of Object.entries(CONFIG_SCHEMA)) {
      for (const key of Object.keys(keys)) expect(cfg.raw[section]![key], `${section}.${key}`).toBeDefined();
    }
  });

  it('reads a Cloudreve-written conf.ini, including its legacy keys and sections', () => {
    const cfg = loadConfig(confFile(`
; written by Cloudreve
[System]
Debug = false
Mode = master
Listen = 127.0.0.1:5300
SessionSecret = abc
HashIDSalt = def
GracePeriod = 5
LogLevel = warning

[Database]
Type = mysql
Host = db.internal
User = cloud
Password = "p4ss word"
Name = cr
TablePrefix = cr_
Charset = utf8mb4

[Redis]
Network = tcp
Server = 127.0.0.1:6379
DB = 2

[UnixSocket]
Listen = /run/cloudreve.sock
Perm = 0666

[CORS]
AllowOrigins = https://a.example, https://b.example
AllowCredentials = true

[OptionOverwrite]
siteName = Overwritten
max_page_size = 500
`), {});
    expect(cfg.system).toMatchObject({ listen: { host: '127.0.0.1', port: 5300 }, logLevel: 'warning' });
    expect(cfg.database).toMatchObject({ type: 'mysql', host: 'db.internal', port: 3306, user: 'cloud', password: 'p4ss word', name: 'cr', tablePrefix: 'cr_' });
    expect(cfg.redis).toEqual({ server: '127.0.0.1:6379', user: '', password: '', db: 2 });
    expect(cfg.unix).toEqual({ listen: '/run/cloudreve.sock', perm: 0o666 });
    expect(cfg.cors).toMatchObject({ allowOrigins: ['https://a.example', 'https://b.example'], allowCredentials: true });
    expect(cfg.optionOverwrite).toEqual({ siteName: 'Overwritten', max_page_size: '500' });
  });

  it('matches sections and keys case-insensitively and accepts [Unix] for [UnixSocket]', () => {
    const cfg = loadConfig(confFile('[system]\nlisten = :6001\n[unix]\nperm = 600\n[DATABASE]\ntype = sqlite3\n'), {});
    expect(cfg.system.listen.port).toBe(6001);
    expect(cfg.unix.perm).toBe(600);
    expect(cfg.database.type).toBe('sqlite');
  });

  it('derives database defaults from the type', () => {
    expect(loadConfig(confFile('[Database]\nType = postgres\n'), {}).database).toMatchObject({ type: 'postgres', port: 5432, user: 'postgres' });
    expect(loadConfig(confFile('[Database]\nType = mariadb\n'), {}).database).toMatchObject({ type: 'mysql', port: 3306, user: 'root' });
    expect(loadConfig(confFile('[Database]\nDBFile = /abs/where.db\n'), {}).database.dbFile).toBe('/abs/where.db');
  });

  it('treats an empty typed value as its default', () => {
    const cfg = loadConfig(confFile('[Database]\nPort =\n[System]\nDebug =\nListen =\n'), {});
    expect(cfg.database.port).toBe(0);
    expect(cfg.system.debug).toBe(false);
    expect(cfg.system.listen.port).toBe(5212);
  });
});

describe('CR_CONF_ environment overrides', () => {
  it('accepts the dotted and the underscore form, case-insensitively, and wins over the file', () => {
    const file = confFile('[System]\nListen = :5212\nDebug = false\n[Database]\nType = sqlite\n');
    const cfg = loadConfig(file, {
      'CR_CONF_System.Listen': '127.0.0.1:7000',
      CR_CONF_system_debug: 'true',
      CR_CONF_Database_Type: 'postgres',
      'CR_CONF_database.PORT': '5433',
      CR_CONF_Redis_Server: '10.0.0.1:6379',
      CR_CONF_UnixSocket_Perm: '0640',
      UNRELATED: 'x',
    });
    expect(cfg.system.listen).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(cfg.system.debug).toBe(true);
    expect(cfg.database).toMatchObject({ type: 'postgres', port: 5433 });
    expect(cfg.redis.server).toBe('10.0.0.1:6379');
    expect(cfg.unix.perm).toBe(0o640);
  });

  it('overrides settings through OptionOverwrite and CR_SETTING_, keeping the setting name case', () => {
    const cfg = loadConfig(confFile('[OptionOverwrite]\nsiteName = file\n'), {
      'CR_CONF_OptionOverwrite.siteName': 'env dotted',
      CR_CONF_OptionOverwrite_max_page_size: '100',
      CR_SETTING_register_enabled: '0',
    });
    expect(cfg.optionOverwrite).toEqual({ siteName: 'env dotted', max_page_size: '100', register_enabled: '0' });
  });

  it('never changes the file', () => {
    const text = '[System]\nListen = :5212\n';
    const file = confFile(text);
    loadConfig(file, { 'CR_CONF_System.Listen': ':6000' });
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('invalid configuration is refused with the key named', () => {
  const bad: [string, string, string][] = [
    ['System', 'Debug', 'maybe'],
    ['System', 'Mode', 'leader'],
    ['System', 'LogLevel', 'verbose'],
    ['System', 'Listen', 'nonsense'],
    ['System', 'Listen', ':99999'],
    ['System', 'Listen', '5212'],
    ['System', 'GracePeriod', '-1'],
    ['Database', 'Type', 'mssql'],
    ['Database', 'Port', 'abc'],
    ['Database', 'Port', '70000'],
    ['Database', 'Port', '1.5'],
    ['Database', 'UnixSocket', 'perhaps'],
    ['Redis', 'DB', 'one'],
    ['Redis', 'DB', '-1'],
    ['Redis', 'Network', 'udp'],
    ['CORS', 'AllowCredentials', '2'],
    ['SSL', 'Listen', 'localhost'],
    ['UnixSocket', 'Perm', '99999'],
    ['Slave', 'CallbackTimeout', '0'],
    ['Slave', 'SignatureTTL', 'soon'],
  ];
  for (const [section, key, value] of bad) {
    it(`${section}.${key} = ${value} (file and env)`, () => {
      expectRejected(() => loadConfig(confFile(`[${section}]\n${key} = ${value}\n`), {}), `${section}.${key}`);
      expectRejected(() => loadConfig(confFile(''), { [`CR_CONF_${section}.${key}`]: value }), `${section}.${key}`);
      expectRejected(() => loadConfig(confFile(''), { [`CR_CONF_${section}_${key}`]: value }), `${section}.${key}`);
    });
  }

  it('unknown sections and keys, in the file and the environment', () => {
    expectRejected(() => loadConfig(confFile('[Nope]\nA = 1\n'), {}), 'Nope');
    expectRejected(() => loadConfig(confFile('[System]\nListn = :5212\n'), {}), 'Listn');
    expectRejected(() => loadConfig(confFile('Listen = :5212\n[System]\n'), {}), 'Listen');
    expectRejected(() => loadConfig(confFile(''), { 'CR_CONF_Nope.Key': '1' }), 'Nope');
    expectRejected(() => loadConfig(confFile(''), { 'CR_CONF_System.Listn': '1' }), 'Listn');
    expectRejected(() => loadConfig(confFile(''), { CR_CONF_System: '1' }), 'CR_CONF_System');
    expectRejected(() => loadConfig(confFile(''), { 'CR_CONF_System.': '1' }), 'CR_CONF_System.');
  });

  it('the CLI exits with status 2 and a one-line message', async () => {
    const file = confFile('[System]\nDebug = maybe\n');
    const main = path.join(import.meta.dirname, '../src/main.ts');
    const tsx = path.join(import.meta.dirname, '../../../node_modules/.bin/tsx');
    const run = promisify(execFile)(tsx, [main, 'config', 'print', '-c', file], { env: { PATH: process.env.PATH } });
    const err = await run.then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr.trim()).toBe('Configuration error: System.Debug: "maybe" is not a boolean (true/false)');
  });
});

describe('accepted but ineffective keys', () => {
  it('are reported when set, so nobody believes TLS or a socket is active', () => {
    expect(ineffectiveKeys(loadConfig(confFile(''), {}))).toEqual([]);
    const cfg = loadConfig(confFile('[SSL]\nCertPath = /c.pem\nKeyPath = /k.pem\n[UnixSocket]\nListen = /run/x.sock\n'), { CR_CONF_System_Mode: 'slave' });
    const warnings = ineffectiveKeys(cfg);
    // Node mode is implemented: it is no longer reported.
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/SSL\.CertPath[\s\S]*UnixSocket\.Listen/);
  });
});

describe('docs/configuration.md', () => {
  it('documents every section and key of the schema', () => {
    const doc = fs.readFileSync(path.join(import.meta.dirname, '../../../docs/configuration.md'), 'utf8');
    for (const [section, keys] of Object.entries(CONFIG_SCHEMA)) {
      expect(doc, `[${section}]`).toContain(`[${section}]`);
      for (const key of Object.keys(keys)) expect(doc, `${section}.${key}`).toMatch(new RegExp(`\\|\\s*\`${key}\`\\s*\\|`));
    }
  });
});

describe('config print', () => {
  it('masks secrets, including secret-looking overwritten settings', () => {
    const cfg = loadConfig(confFile('[Database]\nPassword = hunter2\n[System]\nSessionSecret = sess10nS3cret\n[OptionOverwrite]\nsmtpPass = mailpw\nsiteName = Visible\n'), {
      'CR_CONF_Redis.Password': 'redispw',
    });
    const text = printableConfig(cfg);
    for (const secret of ['hunter2', 'sess10nS3cret', 'mailpw', 'redispw']) expect(text).not.toContain(secret);
    expect(text).toContain('siteName = Visible');
    expect(text).toContain('Password = ***');
  });
});

describe('OptionOverwrite reaches the running server', () => {
  it('an overwritten setting wins over the database value', async () => {
    const ts = await startServer({ name: 'sqlite', db: 'sqlite', redis: false }, { env: { 'CR_CONF_OptionOverwrite.siteName': 'From config', CR_SETTING_register_enabled: '0' } });
    try {
      expect((await ts.client().get('/site/config/basic')).data.title).toBe('From config');
      expect((await ts.client().get('/site/config/login')).data.register_enabled).toBeUndefined();
      await ts.server.ctx.settings.set({ siteName: 'From database' });
      expect((await ts.client().get('/site/config/basic')).data.title).toBe('From config');
    } finally {
      await ts.close();
    }
  });
});

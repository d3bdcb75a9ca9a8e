#!/usr/bin/env node
import path from 'node:path';
import { ConfigError, loadConfig } from './config/config.ts';

const USAGE = `Usage: cloudreve-ts [serve] [-c conf.ini]
       cloudreve-ts <command> [-c conf.ini] [args]

Commands:
  serve                          start the server (default)
  user create <email> <password> [--admin]
  user reset-password <email> <password>
  user promote <email>           move the user to the Admin group
  user calibrate <email>         recompute the user's used storage from their files
  config print                   print the effective configuration (secrets masked)
  migrate                        apply database migrations and exit
`;

function parseArgs(argv: string[]): { conf: string; rest: string[] } {
  let conf = path.join('data', 'conf.ini');
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--conf') conf = argv[++i] ?? conf;
    else if (a.startsWith('--conf=')) conf = a.slice(7);
    else rest.push(a);
  }
  return { conf, rest };
}

async function main(): Promise<void> {
  const { conf, rest } = parseArgs(process.argv.slice(2));
  const cmd = rest[0] ?? 'serve';
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  let cfg;
  try {
    cfg = loadConfig(conf);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  // Loaded only when needed: a configuration error or `config print` should not pay for the app.
  if (cmd !== 'serve') {
    const { runCli } = await import('./cli/cli.ts');
    process.exitCode = await runCli(cfg, rest);
    return;
  }
  const { createServer } = await import('./bootstrap.ts');
  const server = await createServer(cfg);
  const { host, port } = cfg.system.listen;
  const address = await server.app.listen({ host, port });
  server.ctx.log.info(`cloudreve-ts listening on ${address}`, { config: cfg.file, database: cfg.database.type });
  const stop = async () => {
    server.ctx.log.info('shutting down');
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  process.stderr.write(`Fatal: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

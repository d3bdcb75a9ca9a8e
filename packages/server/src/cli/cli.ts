import { Code } from '@cloudreve-ts/protocol';
import type { Config } from '../config/config.ts';
import { printableConfig } from '../config/config.ts';
import { AppError } from '../http/errors.ts';
import { recalculate } from '../fs/capacity.ts';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const stdio: CliIo = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
};

/** Exit codes: 0 done, 1 the command failed, 2 the command line is wrong. */
class UsageError extends Error {}

const PASSWORD_MIN = 6;
const PASSWORD_MAX = 128;

function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw new AppError(Code.ParamErr, `Password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);
  }
}

/** Administrative commands beside `serve`. Returns the process exit code. */
export async function runCli(cfg: Config, args: string[], io: CliIo = stdio): Promise<number> {
  try {
    return await dispatch(cfg, args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.message);
      return 2;
    }
    io.err(e instanceof AppError ? `error ${e.code}: ${e.message}` : `error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

async function dispatch(cfg: Config, args: string[], io: CliIo): Promise<number> {
  const [cmd, sub, ...rest] = args;
  if (cmd === 'config' && sub === 'print') {
    io.out(printableConfig(cfg));
    return 0;
  }
  if (cmd === 'migrate') {
    const { openDatabase } = await import('../db/connect.ts');
    const { migrate } = await import('../db/migrate.ts');
    const db = await openDatabase(cfg.database);
    try {
      const applied = await migrate(db);
      io.out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await db.close();
    }
    return 0;
  }
  if (cmd !== 'user' || !sub) throw new UsageError(`unknown command: ${args.join(' ') || '(none)'}; see --help`);
  if (!['create', 'reset-password', 'promote', 'calibrate'].includes(sub)) throw new UsageError(`unknown user command: ${sub}; see --help`);

  const flags = rest.filter((a) => a.startsWith('--'));
  const positional = rest.filter((a) => !a.startsWith('--'));
  const unknownFlag = flags.find((f) => !(sub === 'create' && f === '--admin'));
  if (unknownFlag) throw new UsageError(`unknown option ${unknownFlag} for user ${sub}`);
  const [email, password] = positional;
  if (sub === 'create' && (!email || !password)) throw new UsageError('usage: user create <email> <password> [--admin]');
  if (sub === 'reset-password' && (!email || !password)) throw new UsageError('usage: user reset-password <email> <password>');
  if (sub === 'promote' && !email) throw new UsageError('usage: user promote <email>');
  if (sub === 'calibrate' && !email) throw new UsageError('usage: user calibrate <email>');
  if (sub === 'calibrate' && !email) throw new UsageError('usage: user calibrate <email>');
  if (password !== undefined) checkPassword(password);

  // The service layer is loaded only for user commands, so `config print` stays quick.
  const [{ createContext }, { createUser, setPassword, promoteToAdmin }, { findUserByEmail }, { createLogger }] = await Promise.all([
    import('../bootstrap.ts'), import('../services/accounts.ts'), import('../services/users.ts'), import('../util/logger.ts'),
  ]);
  const ctx = await createContext(cfg, { logger: createLogger('warning') });
  try {
    if (sub === 'create') {
      const u = await createUser(ctx, { email: email!, password: password!, admin: flags.includes('--admin') });
      const group = u.group_id === 1 ? 'Admin' : `group ${u.group_id}`;
      io.out(`created user ${u.email} (id ${u.id}, ${group})`);
      return 0;
    }
    const user = await findUserByEmail(ctx, email!);
    if (!user) {
      io.err(`no user with e-mail ${email}`);
      return 1;
    }
    if (sub === 'reset-password') {
      await setPassword(ctx, user.id, password!);
      io.out(`password of ${user.email} reset`);
      return 0;
    }
    if (sub === 'calibrate') {
      const r = await recalculate(ctx, user.id);
      io.out(r.drift === 0
        ? `storage of ${user.email} is consistent: ${r.after} bytes`
        : `storage of ${user.email} recalculated: ${r.before} → ${r.after} bytes (drift ${r.drift > 0 ? '+' : ''}${r.drift})`);
      return 0;
    }
    if (sub === 'calibrate') {
      const { recalculate } = await import('../fs/capacity.ts');
      const r = await recalculate(ctx, user.id);
      io.out(r.drift === 0
        ? `storage of ${user.email} is consistent: ${r.after} bytes`
        : `storage of ${user.email} recalculated: ${r.before} → ${r.after} bytes (drift ${r.drift > 0 ? '+' : ''}${r.drift})`);
      return 0;
    }
    await promoteToAdmin(ctx, user.id);
    io.out(`${user.email} is now an administrator`);
    return 0;
  } finally {
    await ctx.kv.close();
    await ctx.db.close();
  }
}

import type { Config } from '../config/config.ts';
import { printableConfig } from '../config/config.ts';
import { createContext } from '../bootstrap.ts';
import { createUser, setPassword, promoteToAdmin } from '../services/accounts.ts';
import { findUserByEmail } from '../services/users.ts';
import { AppError } from '../http/errors.ts';
import { openDatabase } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { recalculate } from '../fs/capacity.ts';

/** Administrative commands beside `serve`. Returns the process exit code. */
export async function runCli(cfg: Config, args: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const [cmd, sub, ...rest] = args;
  if (cmd === 'config' && sub === 'print') {
    out(printableConfig(cfg));
    return 0;
  }
  if (cmd === 'migrate') {
    const db = await openDatabase(cfg.database);
    try {
      const applied = await migrate(db);
      out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await db.close();
    }
    return 0;
  }
  if (cmd !== 'user' || !sub) {
    out(`unknown command: ${args.join(' ')}`);
    return 2;
  }
  const ctx = await createContext(cfg);
  try {
    if (sub === 'create') {
      const [email, password] = rest;
      if (!email || !password) throw new Error('usage: user create <email> <password> [--admin]');
      const u = await createUser(ctx, { email, password, admin: rest.includes('--admin') });
      out(`created user ${u.email} (id ${u.id})`);
      return 0;
    }
    const email = rest[0];
    if (!email) throw new Error(`usage: user ${sub} <email> ...`);
    const user = await findUserByEmail(ctx, email);
    if (!user) {
      out(`no user with e-mail ${email}`);
      return 1;
    }
    if (sub === 'reset-password') {
      if (!rest[1]) throw new Error('usage: user reset-password <email> <password>');
      await setPassword(ctx, user.id, rest[1]);
      out(`password of ${user.email} reset`);
      return 0;
    }
    if (sub === 'calibrate') {
      const r = await recalculate(ctx, user.id);
      out(r.drift === 0
        ? `storage of ${user.email} is consistent: ${r.after} bytes`
        : `storage of ${user.email} recalculated: ${r.before} → ${r.after} bytes (drift ${r.drift > 0 ? '+' : ''}${r.drift})`);
      return 0;
    }
    if (sub === 'promote') {
      await promoteToAdmin(ctx, user.id);
      out(`${user.email} is now an administrator`);
      return 0;
    }
    out(`unknown user command: ${sub}`);
    return 2;
  } catch (e) {
    out(e instanceof AppError ? `error ${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e));
    return 1;
  } finally {
    await ctx.kv.close();
    await ctx.db.close();
  }
}

/** Tiny argv parser for the bench scripts: `--key value`, `--key=value` and bare `--flag`. */
export interface Args {
  str(name: string, def: string): string;
  int(name: string, def: number): number;
  size(name: string, def: number): number;
  flag(name: string): boolean;
  /** Every option as given, for passing on to child benches. */
  raw: Map<string, string | true>;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** "1G", "64MiB", "512k", "1048576" → bytes (binary units). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`bad size "${text}" (use e.g. 1G, 64M, 512k)`);
  return Math.round(Number(m[1]) * unit);
}

export function parseArgs(argv = process.argv.slice(2)): Args {
  const raw = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    if (eq > 0) raw.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) raw.set(a.slice(2), argv[++i]!);
    else raw.set(a.slice(2), true);
  }
  const get = (n: string) => {
    const v = raw.get(n);
    return v === true ? undefined : v;
  };
  return {
    raw,
    str: (n, d) => get(n) ?? d,
    int: (n, d) => {
      const v = get(n);
      if (v === undefined) return d;
      const x = Number(v);
      if (!Number.isSafeInteger(x) || x < 0) throw new Error(`--${n} must be a non-negative integer`);
      return x;
    },
    size: (n, d) => {
      const v = get(n);
      return v === undefined ? d : parseSize(v);
    },
    flag: (n) => raw.get(n) === true || raw.get(n) === 'true' || raw.get(n) === '1',
  };
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(n % 1024 ** 3 ? 2 : 0)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(n % 1024 ** 2 ? 1 : 0)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

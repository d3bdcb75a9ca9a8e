/** Minimal INI reader/writer for conf.ini: [Section] headers, `Key = Value` lines, ; or # comments. */
export type IniData = Record<string, Record<string, string>>;

export function parseIni(text: string): IniData {
  const out: IniData = {};
  let section = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
      value = value.slice(1, -1);
    }
    (out[section] ??= {})[key] = value;
  }
  return out;
}

export function stringifyIni(data: IniData): string {
  return (
    Object.entries(data)
      .map(([section, keys]) => `[${section}]\n` + Object.entries(keys).map(([k, v]) => `${k} = ${v}`).join('\n'))
      .join('\n\n') + '\n'
  );
}

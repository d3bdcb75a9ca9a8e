/** Encodes flags as a boolset (contract 00 §7): base64 of a little-endian bit array. */
export function encodeBoolset(flags: Iterable<number>): string {
  const bytes: number[] = [];
  for (const f of flags) {
    const i = f >> 3;
    while (bytes.length <= i) bytes.push(0);
    bytes[i]! |= 1 << (f & 7);
  }
  return btoa(String.fromCharCode(...bytes));
}

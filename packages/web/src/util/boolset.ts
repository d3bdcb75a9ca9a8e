/**
 * Boolsets (contract 00 §7): standard base64 of a little-endian bit array; flag n is bit n%8 of
 * byte n/8. Used for navigator capabilities and group permissions.
 */
export class Boolset {
  private readonly bytes: Uint8Array;
  constructor(encoded: string | null | undefined) {
    let bin = '';
    try {
      bin = encoded ? atob(encoded) : '';
    } catch {
      bin = '';
    }
    this.bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  has(flag: number): boolean {
    const byte = this.bytes[flag >> 3];
    return byte !== undefined && (byte & (1 << (flag & 7))) !== 0;
  }
}

/** Navigator capability bits (contract 20 §1.5) the UI gates actions on. */
export const Capability = {
  CreateFile: 0,
  RenameFile: 1,
  UploadFile: 6,
  DownloadFile: 7,
  ListChildren: 9,
  DeleteFile: 14,
  SoftDelete: 16,
  Restore: 17,
  EnterFolder: 23,
} as const;

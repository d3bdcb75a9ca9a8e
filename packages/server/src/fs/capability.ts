import { Code } from '@cloudreve-ts/protocol';
import { Boolset } from '../util/boolset.ts';
import { AppError } from '../http/errors.ts';
import type { FsName } from './types.ts';

/** Navigator capability bits (contract 20 §1.5). */
export const Cap = {
  CreateFile: 0, RenameFile: 1, SetPermission: 2, MoveToMy: 3, MoveToShare: 4, MoveToTrash: 5, UploadFile: 6,
  DownloadFile: 7, UpdateMetadata: 8, ListChildren: 9, GenerateThumb: 10, CopyToMy: 11, CopyToShare: 12,
  CopyToTrash: 13, DeleteFile: 14, LockFile: 15, SoftDelete: 16, Restore: 17, Share: 18, Info: 19,
  VersionControl: 20, MountPolicy: 21, Relocate: 22, EnterFolder: 23, ModifyProps: 24,
} as const;
export type CapBit = (typeof Cap)[keyof typeof Cap];

const bits = (list: number[]) => Boolset.fromFlags(list);

/** The fixed capability boolset of every file system. */
export const FS_CAPABILITIES: Record<FsName, Boolset> = {
  my: bits([0, 1, 6, 7, 8, 9, 10, 14, 15, 16, 18, 19, 20, 23, 24]),
  share: bits([7, 9, 10, 15, 19, 20, 23, 24]),
  trash: bits([9, 14, 15, 17, 19]),
  shared_with_me: bits([7, 9, 23]),
};

export const notSupported = () => new AppError(Code.NoPermission, 'Not supported action');

/** Throws 403 "Not supported action" unless the capability set has every bit. */
export function requireCaps(caps: Boolset, ...need: CapBit[]): void {
  for (const b of need) if (!caps.has(b)) throw notSupported();
}

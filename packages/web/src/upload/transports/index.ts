import { Code, type UploadSessionResponse } from '@cloudreve-ts/protocol';
import { ApiError } from '../../api/client.ts';
import { localTransport } from './local.ts';
import { remoteTransport } from './remote.ts';
import { S3_FAMILY, s3Transport } from './s3.ts';
import type { UploadTransport } from './types.ts';

export type { ChunkOptions, UploadTransport } from './types.ts';

/**
 * The transport for an upload session, by the policy type the server answered (as the official
 * client does). Relay policies, and any session without upload URLs, go through our own server.
 */
export function transportFor(session: UploadSessionResponse, size: number, fallbackType?: string): UploadTransport {
  const type = session.storage_policy?.type ?? fallbackType ?? 'local';
  if (type === 'local' || session.storage_policy?.relay || !session.upload_urls?.length) return localTransport(session.session_id);
  if (type === 'remote') return remoteTransport(session.upload_urls[0], session.credential);
  if (S3_FAMILY.has(type)) return s3Transport(type, session, size);
  throw new ApiError(Code.PolicyNotAllowed, `storage type ${type} is not supported by this web client`);
}

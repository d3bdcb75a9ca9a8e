import { upload } from '../../api/endpoints.ts';
import type { UploadTransport } from './types.ts';

/** Local and relay policies: chunks are POSTed to our own server, which completes on the last one. */
export function localTransport(sessionId: string): UploadTransport {
  return {
    kind: 'local',
    sendChunk: (index, chunk, opts) => upload.sendChunk(sessionId, index, chunk, opts),
  };
}

import { Code } from '@cloudreve-ts/protocol';
import { ApiError } from '../../api/client.ts';
import { sendXhr, unwrapEnvelope } from './xhr.ts';
import type { UploadTransport } from './types.ts';

/**
 * Remote (node) policies: every chunk is POSTed to `<upload_urls[0]>?chunk=<i>` on the storage node
 * with the session's signed `credential` as Authorization; the node calls the master back after the
 * last chunk, and that chunk's answer carries the result of the commit.
 */
export function remoteTransport(uploadUrl: string | undefined, credential: string | undefined): UploadTransport {
  if (!uploadUrl || !credential) throw new ApiError(Code.UploadFailed, 'The server did not send the storage node address or credential');
  return {
    kind: 'remote',
    async sendChunk(index, chunk, { signal, onProgress }) {
      const sep = uploadUrl.includes('?') ? '&' : '?';
      const res = await sendXhr({
        method: 'POST', url: `${uploadUrl}${sep}chunk=${index}`, body: chunk, signal, onProgress,
        headers: { Authorization: credential, 'Content-Type': 'application/octet-stream' },
      });
      unwrapEnvelope(res);
    },
  };
}

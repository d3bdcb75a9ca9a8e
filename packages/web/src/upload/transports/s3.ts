import { Code } from '@cloudreve-ts/protocol';
import { api, ApiError } from '../../api/client.ts';
import { sendXhr, type XhrResponse } from './xhr.ts';
import type { UploadTransport } from './types.ts';

/** Policy types served by the S3-compatible driver (docs/api.md "S3-family policies"). */
export const S3_FAMILY = new Set(['s3', 'ks3', 'cos', 'oss', 'obs']);

export interface S3Session {
  session_id: string;
  callback_secret: string;
  upload_urls?: string[];
  completeURL?: string;
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** A bucket's refusal as an ApiError: 5xx (and throttling) are worth retrying, the rest is final. */
function bucketError(res: XhrResponse, what: string): ApiError {
  const detail = [tag(res.text, 'Code'), tag(res.text, 'Message')].filter(Boolean).join(': ') || res.text.slice(0, 200);
  const retry = res.status >= 500 || res.status === 429 || tag(res.text, 'Code') === 'SlowDown';
  return new ApiError(retry ? Code.IOFailed : Code.UploadFailed, `${what}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`);
}

/**
 * S3-family policies: part i goes straight to the bucket as a PUT to `upload_urls[i]` (presigned,
 * part number i+1) and its ETag is kept; `finish` POSTs the CompleteMultipartUpload XML to
 * `completeURL`, then tells our server through `/callback/<type>/<session>/<callback_secret>`
 * (GET for s3/ks3/cos, POST with the size for oss/obs), which checks the object and commits.
 * The ETags live in this object, so pause/resume and retries continue the same multipart upload.
 */
export function s3Transport(type: string, session: S3Session, size: number): UploadTransport {
  const urls = session.upload_urls ?? [];
  if (!urls.length) throw new ApiError(Code.UploadFailed, 'The server did not send the part upload URLs');
  const etags: string[] = [];
  return {
    kind: 's3',
    async sendChunk(index, chunk, { signal, onProgress }) {
      const url = urls[index];
      if (!url) throw new ApiError(Code.UploadFailed, `No upload URL for part ${index + 1}`);
      const res = await sendXhr({ method: 'PUT', url, body: chunk, signal, onProgress });
      if (res.status < 200 || res.status >= 300) throw bucketError(res, `Part ${index + 1} refused by the bucket`);
      const etag = res.header('ETag');
      if (!etag) throw new ApiError(Code.UploadFailed, 'The bucket does not expose the ETag header to this site (add ETag to its CORS ExposeHeaders)');
      etags[index] = etag;
    },
    async finish(signal) {
      if (etags.length !== urls.length || etags.some((e) => !e)) throw new ApiError(Code.UploadFailed, 'Some parts were not uploaded');
      if (session.completeURL) {
        const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
        const res = await sendXhr({ method: 'POST', url: session.completeURL, body: xml, headers: { 'Content-Type': 'application/xml' }, signal });
        // S3 may answer 200 with an <Error> body. NoSuchUpload: an earlier attempt completed it and
        // only the callback was lost; the callback checks the object either way.
        const failed = res.status < 200 || res.status >= 300 || /<Error>/.test(res.text);
        if (failed && tag(res.text, 'Code') !== 'NoSuchUpload') throw bucketError(res, 'Completing the upload failed');
      }
      const path = `/callback/${type}/${encodeURIComponent(session.session_id)}/${encodeURIComponent(session.callback_secret)}`;
      if (type === 'oss' || type === 'obs') await api.request('POST', path, { auth: false, body: { size }, signal });
      else await api.request('GET', path, { auth: false, signal });
    },
  };
}

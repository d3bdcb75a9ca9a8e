import { Code } from '@cloudreve-ts/protocol';
import { ApiError, NETWORK_ERROR } from '../../api/client.ts';

export interface XhrRequest {
  method: string;
  url: string;
  body?: Blob | string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (loaded: number) => void;
}

export interface XhrResponse {
  status: number;
  text: string;
  header(name: string): string | null;
}

/**
 * One request with upload progress (fetch cannot report it). The answer comes back whatever its
 * status; a transport failure (refused connection, CORS refusal) is ApiError(NETWORK_ERROR), an
 * abort an AbortError.
 */
export function sendXhr(req: XhrRequest): Promise<XhrResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(req.method, req.url);
    for (const [k, v] of Object.entries(req.headers ?? {})) xhr.setRequestHeader(k, v);
    if (req.onProgress) xhr.upload.onprogress = (e) => req.onProgress!(e.loaded);
    xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText, header: (n) => xhr.getResponseHeader(n) });
    xhr.onerror = () => reject(new ApiError(NETWORK_ERROR, `network error (${new URL(req.url, location.href).host})`));
    xhr.onabort = () => reject(new DOMException('Upload aborted', 'AbortError'));
    if (req.signal?.aborted) return reject(new DOMException('Upload aborted', 'AbortError'));
    req.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(req.body ?? null);
  });
}

/** Reads a Cloudreve envelope answer (node or callback); a non-zero code becomes an ApiError. */
export function unwrapEnvelope(res: XhrResponse): void {
  let env: { code?: unknown; msg?: string; data?: unknown };
  try {
    env = JSON.parse(res.text) as typeof env;
  } catch {
    // A proxy or a crashed node, not our server's answer: worth another try when it is a 5xx.
    throw new ApiError(res.status >= 500 ? Code.IOFailed : Code.UploadFailed, `HTTP ${res.status}: ${res.text.slice(0, 200)}`);
  }
  if (typeof env.code !== 'number') throw new ApiError(Code.NotSet, `unexpected answer (HTTP ${res.status})`);
  if (env.code !== Code.Success) throw new ApiError(env.code, env.msg ?? '', env.data);
}

import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';
import { InvalidUriError } from '../fs/uri.ts';

/**
 * A WebDAV failure: an HTTP status, a short human message, and optionally a precondition /
 * postcondition element for the `<D:error>` body (RFC 4918 §16), e.g. `lock-token-submitted`.
 */
export class DavError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly opts: { condition?: string; conditionBody?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
  }
}

/** Status for a contract error code raised by the file-system core (contract 50 §2.3 error mapping). */
function statusOf(code: number): number {
  switch (code) {
    case Code.CheckLogin: return 401;
    case Code.NotFound: case Code.ParentNotExist: case Code.FileNotFound: case Code.EntityNotExist: case Code.FileDeleted:
    case Code.ShareLinkNotFound: return 404;
    case Code.Conflict: return 409;
    case Code.CaptchaRefreshNeeded: return 429;
    case Code.NoPermission: case Code.OwnerOnly: case Code.GroupNotAllowed: case Code.PolicyNotAllowed: case Code.RootProtected:
    case Code.FileTypeNotAllowed: case Code.IllegalObjectName: case Code.FileCountLimitedReached: case Code.AnonymousAccessDenied:
    case Code.IncorrectPassword: case Code.DisabledSharePreview: case Code.PurchaseRequired:
      return 403;
    case Code.LockConflict: case Code.ConflictUploadOngoing: return 423;
    case Code.ObjectExist: return 405;
    case Code.LockExpired: return 412;
    case Code.InsufficientCapacity: return 507;
    case Code.FileTooLarge: return 413;
    case Code.ParamErr: case Code.InvalidContentLength: case Code.MetaMismatch: case Code.TooManyUris: return 400;
    case Code.UploadSessionExpired: return 409;
    default: return 500;
  }
}

/** Any thrown value → DavError (unknown errors become 500 with the cause kept for the log). */
export function toDavError(e: unknown): DavError {
  if (e instanceof DavError) return e;
  if (e instanceof InvalidUriError) return new DavError(400, e.message, { cause: e });
  if (e instanceof AppError) {
    const status = statusOf(e.code);
    if (status === 423) return new DavError(423, e.message || 'Locked', { condition: 'no-conflicting-lock', cause: e });
    if (status === 507) return new DavError(507, e.message || 'Insufficient storage', { cause: e });
    return new DavError(status, e.message || 'Request failed', { cause: e });
  }
  return new DavError(500, 'Internal server error', { cause: e });
}

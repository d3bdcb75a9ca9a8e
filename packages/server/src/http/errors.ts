import { Code } from '@cloudreve-ts/protocol';

/** A failure with a contract error code. Thrown anywhere below the API layer. */
export class AppError extends Error {
  constructor(
    readonly code: number,
    message = '',
    readonly options: { cause?: unknown; data?: unknown; aggregated?: Record<string, AppError> } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

export const paramError = (msg = 'Parameter error') => new AppError(Code.ParamErr, msg);
export const notFound = (msg = 'Not found') => new AppError(Code.NotFound, msg);

/** Batch failure envelope (40081) from per-resource errors. */
export function batchError(failures: Record<string, AppError>): AppError {
  const list = Object.values(failures);
  const msg = list.length === 1 ? list[0]!.message : 'One or more operation failed';
  return new AppError(Code.BatchOperationNotFullyCompleted, msg, { aggregated: failures });
}

import { Type, type TSchema, type Static } from '@sinclair/typebox';

/** The JSON envelope every /api/v4 response uses (contract 00 §2). */
export interface Envelope<T = unknown> {
  code: number;
  data?: T;
  msg: string;
  error?: string;
  correlation_id?: string;
  aggregated_error?: Record<string, Omit<Envelope, 'data' | 'aggregated_error'>>;
}

export const EnvelopeOf = <T extends TSchema>(data: T) =>
  Type.Object({
    code: Type.Integer(),
    data: Type.Optional(data),
    msg: Type.String(),
    correlation_id: Type.Optional(Type.String()),
  });

export const EmptyEnvelope = Type.Object({ code: Type.Integer(), msg: Type.String() });
export type StaticOf<T extends TSchema> = Static<T>;

/** One failed resource inside `aggregated_error` (code 40081). */
export const AggregatedErrorEntrySchema = Type.Object({
  code: Type.Integer(),
  msg: Type.String(),
  error: Type.Optional(Type.String()),
  correlation_id: Type.Optional(Type.String()),
});

/**
 * Documentation schema of a whole /api/v4 JSON answer: success and error share one shape
 * (contract 00 §2). Used for OpenAPI only — responses are never serialized through it, so
 * nothing is stripped from what handlers return.
 */
export const ResponseEnvelope = (data?: TSchema) =>
  Type.Object({
    code: Type.Integer({ description: '0 on success, otherwise an error code (HTTP status stays 200)' }),
    data: Type.Optional(data ?? Type.Unknown({ description: 'payload; omitted when there is none' })),
    msg: Type.String({ description: 'always present; "" on success' }),
    correlation_id: Type.Optional(Type.String({ format: 'uuid', description: 'errors only: id of this request in the server log' })),
    error: Type.Optional(Type.String({ description: 'debug mode only: the internal error text' })),
    aggregated_error: Type.Optional(Type.Record(Type.String(), AggregatedErrorEntrySchema, { description: 'code 40081 only: resource id → its error' })),
  });

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

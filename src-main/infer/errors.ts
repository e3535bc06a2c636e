/** Errors of inference that carry their contract error value (code, message, field). */
import type { ApiError } from '../contract';

export class InferError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = 'InferError';
  }
}

export function notFound(message: string, field?: string): InferError {
  return new InferError(field ? { code: 'not_found', message, field } : { code: 'not_found', message });
}

export function invalid(field: string, message: string): InferError {
  return new InferError({ code: 'invalid_request', field, message });
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof InferError) return error.error;
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

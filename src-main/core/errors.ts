/**
 * Core's errors: a WorkbenchError carries the contract error value (code, message, field) that
 * the caller receives. Every core/* module throws these; none imports the workbench to get them.
 */
import type { ApiError } from '../contract';
import { InvalidRunIdError, RunNotFoundError } from '../store/runs';

export class WorkbenchError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = 'WorkbenchError';
  }
}

/** Throws the contract error; typed `never` so a handler can `return fail(...)`. */
export function fail(error: ApiError): never {
  throw new WorkbenchError(error);
}

/**
 * Wraps a handler so that the errors of a lower layer (an unknown dataset, a busy run) reach the
 * caller as contract errors; `convert` returns anything it does not know unchanged.
 */
export function guardedBy(convert: (error: unknown) => unknown) {
  return <A extends unknown[], R>(fn: (...args: A) => Promise<R> | R): ((...args: A) => Promise<R>) =>
    async (...args) => {
      try {
        return await fn(...args);
      } catch (error) {
        throw error instanceof WorkbenchError ? error : convert(error);
      }
    };
}

/** Any error as the value a request answers with; what no layer named is `internal`. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof WorkbenchError) return error.error;
  if (error instanceof RunNotFoundError) return { code: 'not_found', field: 'id', message: error.message };
  if (error instanceof InvalidRunIdError) return { code: 'invalid_request', field: 'id', message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

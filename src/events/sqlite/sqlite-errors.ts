import { BzzzError } from '../../errors.js';
import { StoreUnavailableError } from '../errors.js';

/** Keeps the port's own errors; turns SQLite and driver failures into StoreUnavailableError. */
export function toStoreError(error: unknown): BzzzError {
  if (error instanceof BzzzError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(typeof code === 'string' ? `${code}: ${message}` : message, {
    cause: error,
  });
}

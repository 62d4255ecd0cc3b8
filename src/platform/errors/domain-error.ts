import { ERROR_CATALOG, ErrorCode } from './error-codes';

/**
 * A failure the contract names. Services throw these; one filter per transport turns them into the
 * wire format. Some are hot during a sale (out of stock, second order), so `of` hands out one shared
 * instance per code instead of capturing a fresh stack trace each time.
 */
export class DomainError extends Error {
  private static readonly shared = new Map<ErrorCode, DomainError>();

  /** For a refusal that passes with time (429): how long until a retry may succeed (`Retry-After`). */
  readonly retryAfterMs?: number;

  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CATALOG[code].message,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** A shared instance for the common case of the catalog's own message. */
  static of(code: ErrorCode): DomainError {
    let error = DomainError.shared.get(code);
    if (!error) {
      error = new DomainError(code);
      DomainError.shared.set(code, error);
    }
    return error;
  }
}

/** Redis or MySQL could not be reached or failed; whatever was in progress was not applied. */
export class ServiceUnavailableError extends DomainError {
  constructor(override readonly cause?: unknown) {
    super(ErrorCode.SERVICE_UNAVAILABLE);
  }
}

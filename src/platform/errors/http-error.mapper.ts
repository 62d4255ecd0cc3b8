import { HttpException } from '@nestjs/common';
import { DomainError } from './domain-error';
import { ERROR_CATALOG, ErrorCode } from './error-codes';
import { FASTIFY_CODES } from './fastify-codes';
import { isStoreFailure } from './store-failure';

export interface HttpErrorBody {
  code: ErrorCode;
  message: string;
}

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.MALFORMED_JSON,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

/**
 * Turns anything thrown while serving a REST request into the contract's status and JSON body.
 * `unexpected` is true when the error is a bug (logged by the caller), never for domain errors.
 */
export function toHttpError(error: unknown): {
  status: number;
  body: HttpErrorBody;
  unexpected: boolean;
} {
  if (error instanceof DomainError) {
    return {
      status: ERROR_CATALOG[error.code].status,
      body: { code: error.code, message: error.message },
      unexpected: false,
    };
  }
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in FASTIFY_CODES) {
    return fromCode(FASTIFY_CODES[fastifyCode]);
  }
  if (error instanceof SyntaxError) return fromCode(ErrorCode.MALFORMED_JSON);
  const status =
    error instanceof HttpException
      ? error.getStatus()
      : (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status in STATUS_CODES) return fromCode(STATUS_CODES[status]);
  if (isStoreFailure(error)) return fromCode(ErrorCode.SERVICE_UNAVAILABLE);
  return { ...fromCode(ErrorCode.INTERNAL_ERROR), unexpected: true };
}

function fromCode(code: ErrorCode): { status: number; body: HttpErrorBody; unexpected: boolean } {
  const spec = ERROR_CATALOG[code];
  return { status: spec.status, body: { code, message: spec.message }, unexpected: false };
}

import { ErrorCode } from './error-codes';

/** Fastify's own error codes (body parsing, limits) that reach us before any controller runs. */
export const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.EMPTY_REQUEST,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.MALFORMED_JSON,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.MALFORMED_JSON,
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.MALFORMED_JSON,
};

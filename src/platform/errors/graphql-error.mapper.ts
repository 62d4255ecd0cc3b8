import { GraphQLError } from 'graphql';
import { DomainError } from './domain-error';
import { isStoreFailure } from './store-failure';
import { ERROR_CATALOG, ErrorCode } from './error-codes';
import { FASTIFY_CODES } from './fastify-codes';

/** The prefix graphql-js gives every syntax error, and the one it gives the token limit's. */
const SYNTAX = 'Syntax Error: ';
const TOO_MANY_TOKENS = 'Syntax Error: Document contains more that';

/** Mercurius' own request-level errors (a mutation over GET, an unknown method, ...). */
const MERCURIUS_CODES: Readonly<Record<string, ErrorCode>> = {
  MER_ERR_METHOD_NOT_ALLOWED: ErrorCode.METHOD_NOT_ALLOWED,
  MER_ERR_INVALID_METHOD: ErrorCode.METHOD_NOT_ALLOWED,
  MER_ERR_GQL_QUERY_DEPTH: ErrorCode.QUERY_TOO_LARGE,
};

/**
 * Mercurius reports a document that fails to parse or validate as one error whose original error
 * holds the list (`MER_ERR_GQL_VALIDATION`); the client is owed one entry per problem, each with its
 * code, so the list is unpacked here. Every other error stays as it is.
 */
export function unbundle(error: GraphQLError): GraphQLError[] {
  const bundle = error.originalError as (Error & { errors?: unknown; code?: unknown }) | undefined;
  if (!bundle || !Array.isArray(bundle.errors)) return [error];
  const code = typeof bundle.code === 'string' ? MERCURIUS_CODES[bundle.code] : undefined;
  return (bundle.errors as Error[]).map((inner) => {
    const graphql =
      inner instanceof GraphQLError
        ? inner
        : new GraphQLError(inner.message, { originalError: inner });
    return code ? withCode(graphql, code, graphql.message) : graphql;
  });
}

/**
 * Turns an error of a GraphQL request into the contract's shape: every error leaves with
 * `extensions.code`. A DomainError thrown by a resolver or a hook gets its code and message
 * (TICKET_INVALID: `ticket 失效`); graphql-js' syntax errors become GRAPHQL_PARSE_FAILED (the token
 * limit's, QUERY_TOO_LARGE), its validation and variable errors GRAPHQL_VALIDATION_FAILED, a request
 * body Fastify refused BAD_REQUEST (or the HTTP mapper's code), a store that could not answer
 * SERVICE_UNAVAILABLE (isStoreFailure). Anything else is a bug:
 * `onUnexpected` sees it, the client gets INTERNAL_ERROR only.
 */
export function toContractError(
  error: GraphQLError,
  onUnexpected: (error: Error) => void = () => undefined,
): GraphQLError {
  if (typeof error.extensions?.code === 'string') return error;
  const original = error.originalError;
  if (original instanceof DomainError) return withCode(error, original.code, original.message);
  if (original === undefined || original === null || original instanceof GraphQLError) {
    if (error.message.startsWith(TOO_MANY_TOKENS))
      return withCode(error, ErrorCode.QUERY_TOO_LARGE, error.message);
    return withCode(
      error,
      error.message.startsWith(SYNTAX)
        ? ErrorCode.GRAPHQL_PARSE_FAILED
        : ErrorCode.GRAPHQL_VALIDATION_FAILED,
      error.message,
    );
  }
  const code = (original as { code?: unknown }).code;
  // The client went away mid-body: nobody reads the answer, and it is no bug of ours.
  if (code === 'ECONNRESET' || original.message === 'aborted')
    return withCode(error, ErrorCode.BAD_REQUEST, 'Request aborted');
  if (typeof code === 'string') {
    if (code in FASTIFY_CODES)
      return withCode(error, FASTIFY_CODES[code], ERROR_CATALOG[FASTIFY_CODES[code]].message);
    if (code in MERCURIUS_CODES) return withCode(error, MERCURIUS_CODES[code], error.message);
    // Fastify's schema check of the request body (`body must be object`), mercurius' own refusals.
    if (code === 'FST_ERR_VALIDATION' || code.startsWith('MER_ERR_'))
      return withCode(error, ErrorCode.BAD_REQUEST, error.message);
  }
  if (isStoreFailure(original))
    return withCode(
      error,
      ErrorCode.SERVICE_UNAVAILABLE,
      ERROR_CATALOG.SERVICE_UNAVAILABLE.message,
    );
  onUnexpected(original);
  return withCode(error, ErrorCode.INTERNAL_ERROR, ERROR_CATALOG.INTERNAL_ERROR.message);
}

function withCode(error: GraphQLError, code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });
}

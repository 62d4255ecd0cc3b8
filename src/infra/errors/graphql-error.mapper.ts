import { GraphQLError } from 'graphql';
import { DomainError } from './domain-error';
import { ErrorCode } from './error-codes';

/**
 * Turns an error of a GraphQL execution into the contract's shape. A DomainError thrown by a
 * resolver gets `extensions.code` = its code and the catalog's message (TICKET_INVALID:
 * `ticket 失效`). GraphQL's own errors (syntax, validation, variable types) are returned as they
 * are. Anything else is a bug: `onUnexpected` sees it, the client gets INTERNAL_ERROR only.
 */
export function toContractError(
  error: GraphQLError,
  onUnexpected: (error: Error) => void = () => undefined,
): GraphQLError {
  const original = error.originalError;
  if (
    original === undefined ||
    original === null ||
    original instanceof GraphQLError ||
    isServerError(original)
  ) {
    return error;
  }
  const domain = original instanceof DomainError ? original : undefined;
  if (!domain) onUnexpected(original);
  return new GraphQLError(domain?.message ?? 'Internal error', {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { code: domain?.code ?? ErrorCode.INTERNAL_ERROR },
  });
}

/** Mercurius' own errors (validation bundles, query depth, ...) carry an MER_ERR_ code. */
function isServerError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('MER_ERR_');
}

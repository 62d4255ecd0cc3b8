import { Logger } from '@nestjs/common';
import type { MercuriusCommonOptions } from 'mercurius';
import type { GraphQLError } from 'graphql';
import { DomainError } from './domain-error';
import { ERROR_CATALOG } from './error-codes';
import { toContractError, unbundle } from './graphql-error.mapper';

type ErrorFormatter = NonNullable<MercuriusCommonOptions['errorFormatter']>;

const logger = new Logger('GraphqlError');
const logUnexpected = (error: Error): void => logger.error(error.stack ?? error.message);

/**
 * The GraphQL transport's counterpart of HttpErrorFilter (which hands GraphQL errors back
 * unchanged): unpacks mercurius' bundles of parse and validation errors, maps each error with
 * toContractError, and keeps mercurius' status rule (200 with `errors` once execution started; a
 * request refused before it, as a whole, with the status of its one error: 400, 413, ...).
 */
export const formatGraphqlErrors: ErrorFormatter = (execution, _context) => {
  const statusCode =
    execution.data || execution.errors.some((error) => error.path) ? 200 : refusalStatus(execution);
  const errors = execution.errors
    .flatMap(unbundle)
    .map((error) => toContractError(error, logUnexpected).toJSON());
  return { statusCode, response: { data: execution.data ?? null, errors } };
};

/** The status of a request refused before execution: its one error's (Fastify's, a DomainError's). */
function refusalStatus(execution: {
  errors: readonly GraphQLError[];
  statusCode?: number;
}): number {
  if (execution.statusCode !== undefined) return execution.statusCode;
  const original = execution.errors.length === 1 ? execution.errors[0].originalError : undefined;
  if (original instanceof DomainError) return ERROR_CATALOG[original.code].status;
  const status = (original as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : 200;
}

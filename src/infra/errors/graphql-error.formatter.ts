import { Logger } from '@nestjs/common';
import mercurius, { MercuriusCommonOptions } from 'mercurius';
import { toContractError } from './graphql-error.mapper';

type ErrorFormatter = NonNullable<MercuriusCommonOptions['errorFormatter']>;

const logger = new Logger('GraphqlError');
const logUnexpected = (error: Error): void => logger.error(error.stack ?? error.message);

/**
 * The GraphQL transport's counterpart of HttpErrorFilter (which hands GraphQL errors back
 * unchanged): maps each error with toContractError, then lets mercurius shape the response as
 * usual (HTTP 200 with `errors`; its own 400 for a request that does not validate).
 */
export const formatGraphqlErrors: ErrorFormatter = (execution, context) => {
  const errors = execution.errors.map((error) => toContractError(error, logUnexpected));
  return mercurius.defaultErrorFormatter({ ...execution, errors }, context);
};

import { GraphQLError } from 'graphql';
import { DomainError, ServiceUnavailableError } from './domain-error';
import { ErrorCode } from './error-codes';
import { toContractError } from './graphql-error.mapper';

function thrownBy(original: Error): GraphQLError {
  return new GraphQLError(original.message, { path: ['vote'], originalError: original });
}

describe('GraphQL error mapping', () => {
  it('gives a domain error its code and the catalog message', () => {
    const mapped = toContractError(thrownBy(DomainError.of(ErrorCode.TICKET_INVALID))).toJSON();
    expect(mapped).toEqual({
      message: 'ticket 失效',
      path: ['vote'],
      extensions: { code: 'TICKET_INVALID' },
    });
  });

  it('maps infrastructure failures to SERVICE_UNAVAILABLE', () => {
    expect(
      toContractError(thrownBy(new ServiceUnavailableError(new Error('ECONNREFUSED')))).extensions,
    ).toEqual({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('hides an unexpected error behind INTERNAL_ERROR, and reports it', () => {
    const seen: Error[] = [];
    const bug = new TypeError('x is undefined');
    const mapped = toContractError(thrownBy(bug), (e) => seen.push(e)).toJSON();
    expect(seen).toEqual([bug]);
    expect(mapped).toEqual({
      message: 'Internal error',
      path: ['vote'],
      extensions: { code: 'INTERNAL_ERROR' },
    });
  });

  it("leaves GraphQL's own errors alone", () => {
    const validation = new GraphQLError('Cannot query field "nope" on type "Query".');
    expect(toContractError(validation)).toBe(validation);
  });
});

import { GraphQLError } from 'graphql';
import { DomainError, ServiceUnavailableError } from './domain-error';
import { ErrorCode } from './error-codes';
import { toContractError, unbundle } from './graphql-error.mapper';

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

  it("codes GraphQL's own errors: validation, syntax, the token limit", () => {
    const code = (error: GraphQLError): unknown => toContractError(error).extensions.code;
    expect(code(new GraphQLError('Cannot query field "nope" on type "Query".'))).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    expect(code(new GraphQLError('Syntax Error: Expected Name, found <EOF>.'))).toBe(
      'GRAPHQL_PARSE_FAILED',
    );
    expect(
      code(
        new GraphQLError('Syntax Error: Document contains more that 500 tokens. Parsing aborted.'),
      ),
    ).toBe('QUERY_TOO_LARGE');
  });

  it('keeps a code an error already has', () => {
    const coded = new GraphQLError('too large', { extensions: { code: 'QUERY_TOO_LARGE' } });
    expect(toContractError(coded)).toBe(coded);
  });

  it("unpacks mercurius' bundle of validation errors into one coded error each", () => {
    const bundle = Object.assign(new Error('Graphql validation error'), {
      code: 'MER_ERR_GQL_VALIDATION',
      errors: [new GraphQLError('a'), new GraphQLError('b')],
    });
    const unpacked = unbundle(new GraphQLError(bundle.message, { originalError: bundle })).map(
      (e) => toContractError(e).toJSON(),
    );
    expect(unpacked).toEqual([
      { message: 'a', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      { message: 'b', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
    ]);
  });

  it("codes Fastify's refusal of the request body BAD_REQUEST", () => {
    const refused = Object.assign(new Error('body must be object'), {
      code: 'FST_ERR_VALIDATION',
      statusCode: 400,
    });
    expect(toContractError(thrownBy(refused)).extensions).toEqual({ code: 'BAD_REQUEST' });
  });
});

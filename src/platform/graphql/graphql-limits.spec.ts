import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { checkSource, documentLimitsRule, GraphqlLimits } from './graphql-limits';

const schema = buildSchema('type Query { query(username: String!): Int!  cas: String! }');
const limits: GraphqlLimits = { maxBytes: 8192, maxTokens: 500, maxFields: 3, maxDepth: 15 };
const problems = (source: string): string[] =>
  validate(schema, parse(source), [...specifiedRules, documentLimitsRule(limits)]).map(
    (e) => e.message,
  );

describe('documentLimitsRule', () => {
  it('counts aliases as fields', () => {
    expect(problems('{ a: cas b: cas c: cas }')).toEqual([]);
    expect(problems('{ a: cas b: cas c: cas d: cas }')).toEqual([
      expect.stringContaining('more than 3 fields'),
    ]);
  });

  it('counts a fragment each time it is spread, and stops at the limit', () => {
    expect(
      problems('{ ...F ...G } fragment F on Query { a: cas b: cas } fragment G on Query { ...F }'),
    ).toEqual([expect.stringContaining('more than 3 fields')]);
  });

  it('leaves fragment cycles to graphql-js and does not loop on them', () => {
    expect(problems('{ ...F } fragment F on Query { cas ...F }')).toEqual([
      'Cannot spread fragment "F" within itself.',
    ]);
  });

  it("lets the standard introspection query through, but not a walk of the schema's cycles", () => {
    expect(
      problems(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true })),
    ).toEqual([]);
    expect(problems('{ __schema { types { fields { type { fields { name } } } } } }')).toEqual([
      expect.stringContaining("'fields' nested in itself"),
    ]);
    expect(
      problems(`{ __schema { types { ${'ofType { '.repeat(16)}name${' }'.repeat(16)} } } }`),
    ).toEqual([expect.stringContaining('deeper than 15')]);
  });
});

describe('checkSource', () => {
  it('refuses a text over the size limit', () => {
    expect(() => checkSource(`{ query(username: "${'x'.repeat(8200)}") }`, limits)).toThrow(
      'characters, at most 8192',
    );
  });

  it.each(['{"kind":"Document"}', ' {}', '[1]', '"x"', '42', '-1', 'true', ' null '])(
    'refuses JSON text %p, which mercurius would take as a syntax tree',
    (source) => {
      expect(() => checkSource(source, limits)).toThrow('does not parse');
    },
  );

  it.each(['{ cas }', 'query { cas }', 'mutation V { vote }', '# comment\n{ cas }', 'trueName'])(
    'passes GraphQL text %p on to the parser',
    (source) => {
      expect(() => checkSource(source, limits)).not.toThrow();
    },
  );
});

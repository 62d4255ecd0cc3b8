import fc from 'fast-check';
import { FuzzContext, TICKET_MARKER } from './context';
import { abusiveDocument } from './graphql-abuse';
import { NUMBER_LITERALS } from './json';
import { junkString, rarely } from './text';

/**
 * GraphQL documents: built from the contract's schema
 *   type Mutation { vote(usernames: [String!]!, ticket: String!): String! }
 *   type Query { query(username: String!): Int!  cas: String! }
 * with random arguments, aliases, directives and fragments (self-spreading ones included), the
 * contract's own operations, token soup, random strings, and abusive documents (graphql-abuse.ts).
 */

const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,6}$/;
const name = fc.stringMatching(NAME);
const VARIABLES = ['usernames', 'ticket', 'username', 'v', 'if'];
const FRAGMENTS = ['A', 'B', 'C'];
const TYPES = ['Query', 'Mutation', 'String', 'Int', 'Foo', '__Schema', '__Type'];
const VARIABLE_TYPES = [
  'String',
  'String!',
  '[String!]!',
  '[String!]',
  '[String]',
  '[[String!]!]!',
  'Int',
  'Int!',
  'Float',
  'Boolean!',
  'ID',
  'Foo',
  '[Foo!]!',
  'Query',
];

/** A GraphQL string literal (JSON escapes are GraphQL escapes, except for odd surrogates). */
export const gqlString = (s: string): string => JSON.stringify(s);

export interface GraphqlDocs {
  document: fc.Arbitrary<string>;
  value: fc.Arbitrary<string>;
}

export function graphqlDocs(ctx: FuzzContext): GraphqlDocs {
  const username = fc.constantFrom(...ctx.usernames);
  const scalar = fc.oneof(
    { arbitrary: junkString(20).map(gqlString), weight: 3 },
    { arbitrary: username.map(gqlString), weight: 3 },
    { arbitrary: fc.constant(gqlString(TICKET_MARKER)), weight: 2 },
    { arbitrary: junkString(20).map((s) => `"""${s}"""`), weight: 1 },
    { arbitrary: fc.integer().map(String), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        ...NUMBER_LITERALS,
        '99999999999999999999',
        '0x10',
        '01',
        '1.',
        '.5',
      ),
      weight: 1,
    },
    { arbitrary: fc.constantFrom('true', 'false', 'null'), weight: 1 },
    { arbitrary: name, weight: 1 },
    { arbitrary: fc.constantFrom(...VARIABLES).map((v) => `$${v}`), weight: 2 },
  );
  const { value } = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 3, withCrossShrink: true },
      { arbitrary: scalar, weight: 6 },
      {
        arbitrary: fc.array(tie('value'), { maxLength: 3 }).map((vs) => `[${vs.join(', ')}]`),
        weight: 2,
      },
      {
        arbitrary: fc
          .array(fc.tuple(name, tie('value')), { maxLength: 3 })
          .map((ps) => `{${ps.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
        weight: 1,
      },
    ),
  }));
  const usernamesValue = fc.oneof(
    fc.array(username.map(gqlString), { maxLength: 4 }).map((vs) => `[${vs.join(', ')}]`),
    value,
  );
  const ticketValue = fc.oneof(fc.constant(gqlString(TICKET_MARKER)), value);
  const args = (entries: [string, fc.Arbitrary<string>][]): fc.Arbitrary<string> =>
    fc
      .tuple(
        fc.subarray(entries.map(([n]) => n)),
        fc.tuple(...entries.map(([, arb]) => arb)),
        fc.array(fc.tuple(name, value), { maxLength: 1 }),
      )
      .map(([present, values, extra]) => {
        const chosen = entries
          .map(([n], i) => [n, values[i]] as [string, string])
          .filter(([n]) => present.includes(n));
        const all = [...chosen, ...extra];
        return all.length === 0 ? '' : `(${all.map(([n, v]) => `${n}: ${v}`).join(', ')})`;
      });
  const directive = fc
    .tuple(fc.constantFrom('include', 'skip', 'deprecated', 'foo', 'defer'), fc.option(value))
    .map(([d, v]) => (v === null ? `@${d}` : `@${d}(if: ${v})`));
  const directives = fc.array(directive, { maxLength: 2 }).map((ds) => ds.join(' '));
  const fieldCore = fc.oneof(
    { arbitrary: fc.constant('cas'), weight: 3 },
    {
      arbitrary: args([['username', fc.oneof(username.map(gqlString), value)]]).map(
        (a) => `query${a}`,
      ),
      weight: 3,
    },
    {
      arbitrary: args([
        ['usernames', usernamesValue],
        ['ticket', ticketValue],
      ]).map((a) => `vote${a}`),
      weight: 3,
    },
    { arbitrary: fc.constant('__typename'), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '__schema { queryType { name } }',
        '__schema { types { name kind } }',
        '__type(name: "Query") { name fields { name args { name } } }',
        '__type(name: "Nope") { name }',
      ),
      weight: 1,
    },
    { arbitrary: fc.tuple(name, args([['x', value]])).map(([n, a]) => `${n}${a}`), weight: 1 },
  );
  const { selectionSet } = fc.letrec<{ selectionSet: string; selection: string }>((tie) => ({
    selection: fc.oneof(
      { depthSize: 'small', maxDepth: 4, withCrossShrink: true },
      {
        arbitrary: fc
          .tuple(rarely(name, 4), fieldCore, directives, rarely(tie('selectionSet'), 5))
          .map(
            ([alias, core, dirs, sub]) =>
              `${alias === undefined ? '' : `${alias}: `}${core} ${dirs}${sub === undefined ? '' : ` ${sub}`}`,
          ),
        weight: 6,
      },
      { arbitrary: fc.constantFrom(...FRAGMENTS).map((f) => `...${f}`), weight: 2 },
      {
        arbitrary: fc
          .tuple(fc.option(fc.constantFrom(...TYPES)), directives, tie('selectionSet'))
          .map(([t, dirs, sub]) => `...${t === null ? '' : ` on ${t}`} ${dirs} ${sub}`),
        weight: 1,
      },
    ),
    selectionSet: fc
      .array(tie('selection'), { minLength: 0, maxLength: 4 })
      .map((sels) => `{ ${sels.join(' ')} }`),
  }));
  const variableDefinitions = fc
    .array(
      fc.tuple(fc.constantFrom(...VARIABLES), fc.constantFrom(...VARIABLE_TYPES), rarely(value, 4)),
      { maxLength: 3 },
    )
    .map((defs) =>
      defs.length === 0
        ? ''
        : `(${defs.map(([n, t, d]) => `$${n}: ${t}${d === undefined ? '' : ` = ${d}`}`).join(', ')})`,
    );
  const operation = fc
    .tuple(
      fc.constantFrom('', 'query', 'query', 'mutation', 'mutation', 'subscription', 'Query'),
      fc.option(name),
      variableDefinitions,
      directives,
      selectionSet,
    )
    .map(([type, opName, vars, dirs, sel]) =>
      type === '' ? sel : `${type} ${opName ?? ''}${vars} ${dirs} ${sel}`,
    );
  const fragment = fc
    .tuple(fc.constantFrom(...FRAGMENTS), fc.constantFrom(...TYPES), selectionSet)
    .map(([f, t, sel]) => `fragment ${f} on ${t} ${sel}`);
  const built = fc
    .tuple(
      fc.array(operation, { minLength: 1, maxLength: 2 }),
      fc.array(fragment, { maxLength: 3 }),
    )
    .map(([ops, frags]) => [...ops, ...frags].join('\n'));
  const contract = fc.oneof(
    fc.constant('{ cas }'),
    username.map((u) => `{ query(username: ${gqlString(u)}) }`),
    fc
      .array(username, { maxLength: 3 })
      .map(
        (us) => `mutation { vote(usernames: ${JSON.stringify(us)}, ticket: "${TICKET_MARKER}") }`,
      ),
    fc.constant(
      'mutation Vote($usernames: [String!]!, $ticket: String!) { vote(usernames: $usernames, ticket: $ticket) }',
    ),
    fc.constant('query Count($username: String!) { query(username: $username) }'),
  );
  const graphqlish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '{',
          '}',
          '(',
          ')',
          ':',
          '$',
          '@',
          '...',
          '!',
          '[',
          ']',
          '=',
          ',',
          '|',
          '&',
          '"',
          '"""',
          '#',
        ),
        fc.constantFrom(
          'query',
          'mutation',
          'subscription',
          'fragment',
          'on',
          'cas',
          'vote',
          'ticket',
          'usernames',
          'username',
          '__typename',
          '__schema',
        ),
        junkString(6),
      ),
      { maxLength: 25 },
    )
    .map((tokens) => tokens.join(' '));
  const document = fc.oneof(
    { arbitrary: contract, weight: 3 },
    { arbitrary: built, weight: 8 },
    { arbitrary: graphqlish, weight: 2 },
    { arbitrary: junkString(60), weight: 1 },
    { arbitrary: abusiveDocument(username), weight: 3 },
  );
  return { document, value };
}

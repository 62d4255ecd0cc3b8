import fc from 'fast-check';
import { FuzzContext, TICKET_MARKER } from './context';
import { GraphqlDocs, graphqlDocs } from './graphql-documents';
import { headerPair } from './http-parts';
import { BROKEN_JSON, anyFieldValue, jsonText, mangledJson } from './json';
import {
  KEEP_ALIVE_MOSTLY,
  encodeAny,
  headerSafe,
  junkString,
  pathSafe,
  printCompact,
} from './text';

/**
 * Requests to the voting GraphQL API over POST and GET: documents (graphql-documents.ts) in
 * request objects whose members may be missing or mistyped, variables of wrong types, batches,
 * and bodies that are not GraphQL requests at all.
 */
export interface GraphqlInput {
  method: 'POST' | 'GET';
  /** Path with the query string (GET carries the request there). */
  path: string;
  headers: [string, string][];
  body?: string | Uint8Array;
  framing: 'length' | 'chunked';
  connection: 'keep-alive' | 'close';
}

/** The variables member: the right names with values of any type, or not an object at all. */
function variablesText(ctx: FuzzContext): fc.Arbitrary<string> {
  const username = fc.constantFrom(...ctx.usernames);
  const object = fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom('usernames', 'ticket', 'username', 'v', '__proto__'),
          junkString(6),
        ),
        fc.oneof(
          anyFieldValue(),
          fc.array(username, { maxLength: 3 }).map((us) => JSON.stringify(us)),
          username.map((u) => JSON.stringify(u)),
          fc.constant(JSON.stringify(TICKET_MARKER)),
          fc.array(anyFieldValue(), { maxLength: 3 }).map((vs) => `[${vs.join(',')}]`),
        ),
      ),
      { maxLength: 3 },
    )
    .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
  return fc.oneof(
    { arbitrary: object, weight: 6 },
    { arbitrary: object.map((o) => JSON.stringify(o)), weight: 1 }, // variables as a JSON string
    { arbitrary: fc.constantFrom('null', '[]', '1', '"x"', 'true', '{}'), weight: 2 },
  );
}

/** A GraphQL request object `{query, variables, operationName, extensions}`, fields maybe missing or mistyped. */
function requestObject(ctx: FuzzContext, docs: GraphqlDocs): fc.Arbitrary<string> {
  const queryMember = fc.oneof(
    { arbitrary: docs.document.map((d) => JSON.stringify(d)), weight: 12 },
    { arbitrary: anyFieldValue(), weight: 1 },
  );
  const operationName = fc.oneof(
    fc.constantFrom('"Vote"', '"Count"', '"Q"', '"Q0"', 'null', '""', '1', '[]', '{}'),
    junkString(10).map((s) => JSON.stringify(s)),
  );
  const extensions = fc.oneof(
    fc.constantFrom(
      '{"persistedQuery":{"version":1,"sha256Hash":"abc"}}',
      'null',
      '[]',
      '"x"',
      '{}',
    ),
    anyFieldValue(),
  );
  return fc
    .record(
      {
        query: queryMember,
        variables: variablesText(ctx),
        operationName,
        extensions,
        junk: fc.tuple(junkString(6), anyFieldValue()),
      },
      { requiredKeys: [] },
    )
    .map((r) => {
      const members: string[] = [];
      if (r.query !== undefined) members.push(`"query":${r.query}`);
      if (r.variables !== undefined) members.push(`"variables":${r.variables}`);
      if (r.operationName !== undefined) members.push(`"operationName":${r.operationName}`);
      if (r.extensions !== undefined) members.push(`"extensions":${r.extensions}`);
      if (r.junk !== undefined) members.push(`${JSON.stringify(r.junk[0])}:${r.junk[1]}`);
      return `{${members.join(',')}}`;
    });
}

const VOTE =
  'mutation Vote($usernames: [String!]!, $ticket: String!) { vote(usernames: $usernames, ticket: $ticket) }';
const QUERY = 'query Count($username: String!) { query(username: $username) }';

/**
 * Requests that make sense: the contract's operations with variables of the right shape (real
 * names, the current ticket) or one bent value, so that resolvers run (votes are committed).
 */
function coherentRequest(
  ctx: FuzzContext,
): fc.Arbitrary<{ query: string; variables?: Record<string, unknown> }> {
  const username = fc.constantFrom(...ctx.usernames);
  const bent = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(
      '',
      'nobody',
      'root ',
      'ROOT',
      '\u0000',
      'a'.repeat(1025),
      1e308,
      -1,
      true,
      null,
    ),
  );
  const maybeBent = <T>(right: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    fc.oneof({ arbitrary: right, weight: 8 }, { arbitrary: bent, weight: 2 });
  return fc.oneof(
    fc.constant({ query: '{ cas }' }),
    maybeBent(username).map((u) => ({ query: QUERY, variables: { username: u } })),
    fc
      .record({
        usernames: maybeBent(fc.uniqueArray(username, { minLength: 1, maxLength: 4 })),
        ticket: maybeBent(fc.constant(TICKET_MARKER)),
      })
      .map((variables) => ({ query: VOTE, variables })),
    fc.tuple(username, fc.integer({ min: 1, max: 4 })).map(([u, n]) => ({
      query: `{ ${Array.from({ length: n }, (_, i) => `q${i}: query(username: ${JSON.stringify(u)}) c${i}: cas`).join(' ')} }`,
    })),
  );
}

const GRAPHQL_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/graphql',
  'application/graphql; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
  'junk',
];

export function graphqlInput(ctx: FuzzContext): fc.Arbitrary<GraphqlInput> {
  const docs = graphqlDocs(ctx);
  const request = requestObject(ctx, docs);
  const coherent = coherentRequest(ctx);
  const postBody = fc.oneof(
    { arbitrary: request, weight: 14 },
    {
      arbitrary: coherent.map(({ query, variables }) => JSON.stringify({ query, variables })),
      weight: 8,
    },
    {
      arbitrary: fc
        .oneof(
          { arbitrary: fc.array(request, { maxLength: 4 }), weight: 4 },
          {
            arbitrary: fc
              .integer({ min: 5, max: 5000 })
              .map((n) => Array.from({ length: n }, () => '{"query":"{ cas }"}')),
            weight: 1,
          },
        )
        .map((rs) => `[${rs.join(',')}]`),
      weight: 2,
    },
    { arbitrary: docs.document, weight: 1 }, // the document itself (application/graphql style)
    { arbitrary: jsonText, weight: 1 },
    { arbitrary: fc.constantFrom(...BROKEN_JSON), weight: 1 },
    { arbitrary: mangledJson(request), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 1 },
    {
      arbitrary: fc
        .constantFrom(65_537, 100_000)
        .map((n) => JSON.stringify({ query: `{ cas ${' '.repeat(n)}}` })),
      weight: 1,
    },
  );
  const contentType = fc.option(
    fc.oneof(
      { arbitrary: fc.constantFrom('application/json'), weight: 8 },
      { arbitrary: fc.constantFrom(...GRAPHQL_CONTENT_TYPES), weight: 2 },
    ),
    { nil: undefined, freq: 8 },
  );
  const headers = fc
    .array(headerPair(), { maxLength: 3 })
    .map((hs) => hs.filter(([n, v]) => !(n === 'accept' && v.includes('text/html'))));
  const coherentGet = coherent
    .filter(({ query }) => !query.startsWith('mutation'))
    .map(({ query, variables }) => {
      const vars =
        variables === undefined ? '' : `&variables=${encodeAny(JSON.stringify(variables))}`;
      return `query=${encodeAny(query)}${vars}`;
    });
  const anyGet = fc
    .record(
      {
        query: fc.oneof(
          { arbitrary: docs.document.map(encodeAny), weight: 8 },
          { arbitrary: docs.document.map(pathSafe), weight: 1 },
        ),
        variables: fc.oneof(
          variablesText(ctx).map(encodeAny),
          junkString(10).map((s) => pathSafe(s)),
        ),
        operationName: junkString(8).map(encodeAny),
        twice: fc.constant('query=%7Bcas%7D'),
        junk: fc.tuple(junkString(5), junkString(5)).map(([k, v]) => pathSafe(`${k}=${v}`)),
      },
      { requiredKeys: [] },
    )
    .map((r) => {
      const parts: string[] = [];
      if (r.query !== undefined) parts.push(`query=${r.query}`);
      if (r.variables !== undefined) parts.push(`variables=${r.variables}`);
      if (r.operationName !== undefined) parts.push(`operationName=${r.operationName}`);
      if (r.twice !== undefined) parts.push(r.twice);
      if (r.junk !== undefined) parts.push(r.junk);
      return parts.join('&');
    });
  const getQuery = fc.oneof(
    { arbitrary: anyGet, weight: 2 },
    { arbitrary: coherentGet, weight: 1 },
  );
  const common = {
    headers,
    framing: fc.constantFrom('length' as const, 'length' as const, 'chunked' as const),
    connection: fc.constantFrom(...KEEP_ALIVE_MOSTLY),
    slash: fc.constantFrom('', '', '', '/'),
  };
  const post = fc
    .record({ ...common, contentType, body: fc.option(postBody, { nil: undefined, freq: 30 }) })
    .map(({ headers: hs, contentType: ct, body, slash, framing, connection }) => ({
      method: 'POST' as const,
      path: `/graphql${slash}`,
      headers: [
        ...(ct === undefined ? [] : [['content-type', headerSafe(ct)] as [string, string]]),
        ...hs,
      ],
      ...(body === undefined ? {} : { body }),
      framing,
      connection,
    }));
  const get = fc
    .record({ ...common, query: getQuery })
    .map(({ headers: hs, query, slash, framing, connection }) => ({
      method: 'GET' as const,
      path: `/graphql${slash}?${query}`,
      headers: hs,
      framing,
      connection,
    }));
  return fc
    .oneof({ arbitrary: post, weight: 4 }, { arbitrary: get, weight: 1 })
    .map((input): GraphqlInput => printCompact({ ...input }));
}

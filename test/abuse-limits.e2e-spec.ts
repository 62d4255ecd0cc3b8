import net from 'node:net';
import type { Connection } from 'mysql2/promise';
import { AppNode, TestEnv, createTestEnv, login, mysqlOf, startNode } from './utils/app-cluster';
import { request } from './utils/http';
import { cas, committedCounts, gql } from './utils/voting';
import { sleep } from './utils/wait';

/**
 * What an anonymous client can send, bounded: GraphQL documents over a limit refused whole with
 * QUERY_TOO_LARGE and nothing run, a stream of distinct documents that leaves the workers alive,
 * a code on every GraphQL error, the contract's JSON for HTTP the parser refuses, timeouts for
 * trickling clients, failed logins throttled per username across nodes, and security headers.
 */

const HEADERS_TIMEOUT_MS = 1500;
const MAX_FAILURES = 4;
const WINDOW_MS = 4000;

let env: TestEnv;
let nodeA: AppNode;
let nodeB: AppNode;
let mysql: Connection;

beforeAll(async () => {
  env = await createTestEnv(
    'abuse_limits',
    17,
    { users: 50 },
    {
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_FAILURE_WINDOW_MS: String(WINDOW_MS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      TICKET_INTERVAL_MS: '60000',
      TICKET_MAX_USES: '100000',
    },
  );
  [nodeA, nodeB] = await Promise.all([startNode(env, { workers: 2 }), startNode(env)]);
  mysql = await mysqlOf(env);
}, 90_000);

afterAll(async () => {
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  await mysql?.end();
});

const codesOf = (body: { errors?: { extensions?: { code?: string } }[] }): (string | undefined)[] =>
  (body.errors ?? []).map((e) => e.extensions?.code);
const aliased = (count: number, field: (i: number) => string): string =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;

describe('GraphQL documents over a limit', () => {
  it('refuses more than 20 fields (aliases included) as a whole: 21 aliased votes count nothing', async () => {
    const ticket = await cas(nodeA.url);
    const names = env.users.slice(1, 22).map((u) => u.name);
    const votes = `mutation ${aliased(21, (i) => `vote(usernames: ["${names[i]}"], ticket: "${ticket}")`)}`;
    const reply = await gql(nodeA.url, votes);
    expect(reply.status).toBe(400);
    expect(codesOf(reply.body)).toEqual(['QUERY_TOO_LARGE']);
    expect(reply.body.data).toBeNull();
    expect(await committedCounts(mysql)).toEqual(new Map());
    // 20 is within the limit: each vote runs.
    const twenty = await gql<Record<string, string>>(
      nodeA.url,
      `mutation ${aliased(20, (i) => `vote(usernames: ["${names[i]}"], ticket: "${ticket}")`)}`,
    );
    expect(Object.values(twenty.body.data ?? {})).toEqual(Array(20).fill('成功'));
  });

  it('refuses 500 aliased votes, 2,000 aliased fields and 1,000 aliased queries with QUERY_TOO_LARGE', async () => {
    const before = await committedCounts(mysql);
    const ticket = await cas(nodeA.url);
    const name = env.users[30].name;
    for (const document of [
      `mutation ${aliased(500, () => `vote(usernames: ["${name}"], ticket: "${ticket}")`)}`,
      aliased(2000, () => 'cas'),
      `query ${aliased(1000, (i) => `query(username: "user${i}")`)}`,
    ]) {
      const reply = await gql(nodeA.url, document);
      expect([reply.status, codesOf(reply.body)]).toEqual([400, ['QUERY_TOO_LARGE']]);
    }
    expect(await committedCounts(mysql)).toEqual(before);
  });

  it('refuses documents over the depth, token and size limits', async () => {
    const deep = `{ __schema { types { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } } }`;
    const cycle = '{ __schema { types { fields { type { fields { name } } } } } }';
    const tokens = `{ query(username: "x") ${'@skip(if: false) '.repeat(120)} }`;
    const size = `{ query(username: "${'x'.repeat(9000)}") }`;
    for (const document of [deep, cycle, tokens, size]) {
      const reply = await gql(nodeA.url, document);
      expect([document.slice(0, 40), reply.status, codesOf(reply.body)]).toEqual([
        document.slice(0, 40),
        400,
        ['QUERY_TOO_LARGE'],
      ]);
    }
  });

  it("still answers GraphiQL's schema fetch (introspection is bounded apart from the API's fields)", async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const reply = await gql<{ __schema: { queryType: { name: string } } }>(
      nodeA.url,
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }),
    );
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data?.__schema.queryType.name).toBe('Query');
  });

  it('survives a stream of distinct large documents: no worker dies, every answer in shape', async () => {
    // The report's documents (about 1,000 aliased queries, 40 KB, each different) killed both
    // workers within seconds; then documents just inside every limit, which the caches keep.
    for (let i = 0; i < 150; i++) {
      const reply = await gql(
        nodeA.url,
        `query ${aliased(1000, (j) => `query(username: "u${i}_${j}")`)}`,
        undefined,
        { newConnection: true },
      );
      expect(codesOf(reply.body)).toEqual(['QUERY_TOO_LARGE']);
    }
    for (let i = 0; i < 600; i++) {
      const names = Array.from({ length: 470 }, (_, j) => `"${(i * 1000 + j).toString(36)}"`).join(
        ' ',
      );
      const reply = await gql(
        nodeA.url,
        `mutation { vote(usernames: [${names}], ticket: "t${i}") }`,
        undefined,
        { newConnection: true },
      );
      expect(codesOf(reply.body)).toEqual(['BAD_USER_INPUT']);
    }
    expect(nodeA.output()).not.toMatch(/died|heap out of memory/);
    expect((await request('GET', `${nodeA.url}/health/ready`)).status).toBe(200);
  }, 120_000);
});

describe('every GraphQL error has extensions.code', () => {
  it.each([
    ['a syntax error', { query: '{ cas ' }, 'GRAPHQL_PARSE_FAILED'],
    [
      'a fragment spreading itself',
      { query: '{ ...F } fragment F on Query { cas ...F }' },
      'GRAPHQL_VALIDATION_FAILED',
    ],
    ['an unknown field', { query: '{ nope }' }, 'GRAPHQL_VALIDATION_FAILED'],
    [
      'a variable of the wrong type',
      { query: 'query($u: String!) { query(username: $u) }', variables: { u: 5 } },
      'GRAPHQL_VALIDATION_FAILED',
    ],
    [
      'a syntax tree sent as JSON text',
      { query: JSON.stringify({ kind: 'Document', definitions: 5 }) },
      'GRAPHQL_PARSE_FAILED',
    ],
    ['JSON true as the document', { query: 'true' }, 'GRAPHQL_PARSE_FAILED'],
    ['a non-object body', '"just a string"', 'BAD_REQUEST'],
    ['a batch while batching is off', [{ query: '{ cas }' }, { query: '{ cas }' }], 'BAD_REQUEST'],
    ['broken JSON', '{"query":', 'MALFORMED_JSON'],
  ])('%s', async (_name, body, code) => {
    const reply = await request('POST', `${nodeA.url}/graphql`, { body });
    expect(reply.status).toBe(400);
    expect(codesOf(reply.body as never)).toEqual([code]);
  });

  it.each([
    ['an empty operationName', 'operationName=&query=%7Bcas%7D', 'GRAPHQL_VALIDATION_FAILED'],
    ['an unknown operationName', 'operationName=X&query=%7Bcas%7D', 'GRAPHQL_VALIDATION_FAILED'],
    [
      'two operations and no operationName',
      `query=${encodeURIComponent('query A { cas } query B { cas }')}`,
      'GRAPHQL_VALIDATION_FAILED',
    ],
    ['variables that are not an object', 'variables=1&query=%7B%20cas%20%7D', 'BAD_REQUEST'],
    ['empty variables', 'variables=&query=%7Bcas%7D', 'BAD_REQUEST'],
  ])('a GET with %s', async (_name, search, code) => {
    const reply = await request('GET', `${nodeA.url}/graphql?${search}`);
    expect(reply.status).toBeLessThan(500);
    expect(codesOf(reply.body as never)).toEqual([code]);
  });

  it('a mutation over GET', async () => {
    const reply = await request(
      'GET',
      `${nodeA.url}/graphql?query=${encodeURIComponent('mutation { vote(usernames: ["x"], ticket: "y") }')}`,
    );
    expect(codesOf(reply.body as never)).toEqual(['METHOD_NOT_ALLOWED']);
  });
});

/** Sends raw bytes and returns all that comes back before the server closes (or the wait ends). */
function rawExchange(
  port: number,
  payload: string,
  waitMs = 5000,
): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false, ms: Date.now() - started });
    }, waitMs);
    socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true, ms: Date.now() - started });
    });
    socket.write(payload);
  });
}

function expectJsonAnswer(text: string, status: number, code: string): void {
  const [head, body] = text.split('\r\n\r\n');
  expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
  expect(head.toLowerCase()).toContain('content-type: application/json; charset=utf-8');
  expect(JSON.parse(body)).toEqual({ code, message: expect.any(String) });
}

describe('malformed HTTP and slow clients', () => {
  it.each([
    [
      'a control byte in a header value',
      'GET /foods HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n',
      400,
      'BAD_REQUEST',
    ],
    [
      'broken chunked framing',
      'POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
      'BAD_REQUEST',
    ],
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'headers over 16 KiB',
      `GET /foods HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
  ])('answers %s with the JSON body and closes', async (_name, payload, status, code) => {
    const { text, closed } = await rawExchange(nodeA.port, payload);
    expect(closed).toBe(true);
    expectJsonAnswer(text, status, code);
  });

  it.each([
    [
      'an Expect other than 100-continue',
      'GET /foods HTTP/1.1\r\nHost: x\r\nExpect: junk\r\n\r\n',
      417,
      'EXPECTATION_FAILED',
    ],
    [
      'an HTTP/1.1 request without Host',
      'GET /foods HTTP/1.1\r\nConnection: close\r\n\r\n',
      400,
      'BAD_REQUEST',
    ],
  ])('answers %s with the JSON body', async (_name, payload, status, code) => {
    const { text } = await rawExchange(nodeA.port, payload, 3000);
    expectJsonAnswer(text, status, code);
  });

  it('closes a client that trickles its headers, with 408, after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { text, closed, ms } = await rawExchange(
      nodeA.port,
      'GET /foods HTTP/1.1\r\nHost: x\r\n',
      HEADERS_TIMEOUT_MS + 4000,
    );
    expect(closed).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    expectJsonAnswer(text, 408, 'REQUEST_TIMEOUT');
  });
});

describe('login throttling', () => {
  const wrong = (node: AppNode, name: string) =>
    request('POST', `${node.url}/login`, { body: { username: name, password: 'wrong-password' } });

  it('answers 429 TOO_MANY_ATTEMPTS with Retry-After once a username failed too often, on every node', async () => {
    const victim = env.users[40];
    for (let i = 0; i < MAX_FAILURES; i++)
      expect((await wrong(i % 2 ? nodeA : nodeB, victim.name)).status).toBe(403);
    for (const node of [nodeA, nodeB]) {
      const reply = await wrong(node, victim.name);
      expect(reply.status).toBe(429);
      expect(reply.body).toEqual({ code: 'TOO_MANY_ATTEMPTS', message: expect.any(String) });
      expect(Number(reply.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(reply.headers['retry-after'])).toBeLessThanOrEqual(WINDOW_MS / 1000);
    }
    // The right password is refused too while the name is locked (else guessing would go on)...
    expect(
      (
        await request('POST', `${nodeA.url}/login`, {
          body: { username: victim.name, password: victim.password },
        })
      ).status,
    ).toBe(429);
    // ...another user's login is not affected...
    await expect(login(nodeA, env.users[41])).resolves.toEqual(expect.any(String));
    // ...and once the window has passed, the user gets in.
    await sleep(WINDOW_MS + 200);
    await expect(login(nodeB, victim)).resolves.toEqual(expect.any(String));
  }, 30_000);

  it('throttles unknown names too, and never the contest flow of one login per user', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) await wrong(nodeA, 'nobody-by-this-name');
    expect((await wrong(nodeA, 'nobody-by-this-name')).status).toBe(429);
    const logins = await Promise.all(
      env.users.slice(2, 30).map((user, i) => login(i % 2 ? nodeA : nodeB, user)),
    );
    expect(logins).toHaveLength(28);
  });
});

describe('security headers and CORS', () => {
  it('sends helmet headers on API answers and pages, and no CORS headers by default', async () => {
    for (const path of ['/foods', '/graphiql', '/docs']) {
      const reply = await request('GET', `${nodeA.url}${path}`, {
        headers: { origin: 'http://elsewhere.example', accept: 'text/html' },
      });
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['content-security-policy']).toContain("script-src 'self'");
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it("keeps GraphiQL's page free of inline script, so the policy lets it run", async () => {
    const page = await request('GET', `${nodeA.url}/graphiql`);
    expect(page.text).not.toMatch(/<script>/);
    const init = await request('GET', `${nodeA.url}/graphiql/assets/init.js`);
    expect([init.status, init.headers['content-type']]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
    expect(init.text).toContain('GraphiQL.createFetcher');
  });

  it('answers CORS for the origins CORS_ORIGINS names', async () => {
    const node = await startNode(env, { env: { CORS_ORIGINS: 'http://app.example' } });
    try {
      const allowed = await request('GET', `${node.url}/foods`, {
        headers: { origin: 'http://app.example' },
      });
      expect(allowed.headers['access-control-allow-origin']).toBe('http://app.example');
      const other = await request('GET', `${node.url}/foods`, {
        headers: { origin: 'http://elsewhere.example' },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await node.stop();
    }
  });
});

import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  IntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { VotingKeys } from '../src/voting/voting-keys';
import {
  AppNode,
  TestEnv,
  createTestEnv,
  generateDataset,
  mysqlOf,
  redisOf,
  startNode,
} from './utils/app-cluster';
import { metricsOf, request } from './utils/http';
import {
  QUERY,
  VOTE,
  cachedCounts,
  votesInFlight,
  cas,
  committedCounts,
  gql,
  nextTicket,
  queryCount,
  rotationLog,
  vote,
} from './utils/voting';

/**
 * The voting contract on the wire, against two real nodes: the exact schema, `cas`, a vote
 * committed to MySQL and visible through `query` everywhere, every error code with nothing
 * changed, the usage cap, a MySQL failure answered as SERVICE_UNAVAILABLE with nothing half
 * applied, and the offline GraphiQL page.
 */

const CONTRACT_SCHEMA = `
type Mutation {
  vote(usernames: [String!]!, ticket: String!): String!
}
type Query {
  query(username: String!): Int!
  cas: String!
}`;

const INTERVAL_MS = 3000;
const MAX_USES = 20;

let env: TestEnv;
let nodeA: AppNode;
let nodeB: AppNode;
let redis: Redis;
let mysql: Connection;
let names: string[];
const idOf = (name: string): number => env.users.find((u) => u.name === name)!.id;

interface VotingState {
  committed: [number, number][];
  cached: [number, number][];
  inFlight: Record<number, string[]>;
  ticket: string | null;
  /** Uses of the ticket granted to nodes (their allowances). */
  uses: string | null;
}

/** Everything a vote could change: committed counts, cached counts and marks, the ticket's uses. */
async function votingState(): Promise<VotingState> {
  const [ticket, uses] = await redis.mget(VotingKeys.ticket, VotingKeys.ticketUses);
  const ids = env.users.map((u) => u.id);
  return {
    committed: [...(await committedCounts(mysql))].sort(),
    cached: [...(await cachedCounts(redis, ids))].sort(),
    inFlight: await votesInFlight(redis, ids),
    ticket,
    uses,
  };
}

/** A rotation in between resets the uses legitimately; everything else must be as it was. */
function expectUnchanged(before: VotingState, after: VotingState): void {
  if (after.ticket !== before.ticket)
    after = { ...after, ticket: before.ticket, uses: before.uses };
  expect(after).toEqual(before);
}

/** Votes `ticket` to exhaustion through both nodes; resolves to how many were acknowledged. */
async function votesLeft(ticket: string, name: string): Promise<number> {
  let acknowledged = 0;
  for (;;) {
    const results = await Promise.all(
      [nodeA, nodeB].map((node) => vote(node.url, [name], ticket, { newConnection: true })),
    );
    acknowledged += results.filter((r) => r === '成功').length;
    if (results.some((r) => r !== '成功')) {
      expect(results.filter((r) => r !== '成功')).toEqual(
        results.filter((r) => r === 'TICKET_EXHAUSTED'),
      );
      // The other node may still hold a use that a recall gives back.
      const again = await vote(nodeA.url, [name], ticket);
      if (again !== '成功') return acknowledged;
      acknowledged++;
    }
  }
}

/** A ticket fresh enough to finish a test step before the next rotation. */
async function freshTicket(): Promise<string> {
  return nextTicket(redis, await redis.get(VotingKeys.ticket), INTERVAL_MS * 3);
}

beforeAll(async () => {
  env = await createTestEnv(
    'voting_api',
    5,
    { users: 150, foods: 2 },
    {
      TICKET_INTERVAL_MS: String(INTERVAL_MS),
      LEADER_LEASE_MS: '3000',
      TICKET_MAX_USES: String(MAX_USES),
    },
  );
  [nodeA, nodeB] = await Promise.all([startNode(env), startNode(env)]);
  redis = redisOf(env);
  mysql = await mysqlOf(env);
  names = env.users.filter((u) => u.name !== 'root').map((u) => u.name);
  await nextTicket(redis, null);
}, 90_000);

afterAll(async () => {
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  redis?.disconnect();
  await mysql?.end();
});

describe('schema and cas', () => {
  it('serves exactly the contract schema', async () => {
    const reply = await gql<IntrospectionQuery>(nodeA.url, getIntrospectionQuery());
    expect(reply.status).toBe(200);
    const served = lexicographicSortSchema(buildClientSchema(reply.body.data!));
    expect(printSchema(served)).toBe(
      printSchema(lexicographicSortSchema(buildSchema(CONTRACT_SCHEMA))),
    );
  });

  it('answers cas with the ticket in force, the same on every node: 128 random bits', async () => {
    const ticket = await freshTicket();
    const [a, b] = await Promise.all([cas(nodeA.url), cas(nodeB.url)]);
    expect(a).toBe(ticket);
    expect(b).toBe(ticket);
    expect(Buffer.from(ticket, 'base64url')).toHaveLength(16);
    // Valid until replaced: no TTL on the ticket itself.
    expect(await redis.pttl(VotingKeys.ticket)).toBe(-1);
  });

  it("gives GraphQL's standard errors for unknown fields and wrong types", async () => {
    const unknown = await gql(nodeA.url, '{ nope }');
    expect(unknown.body.errors?.[0].message).toMatch(/Cannot query field "nope"/);
    const wrongType = await gql(nodeA.url, QUERY, { username: 42 });
    expect(wrongType.body.errors?.[0].message).toMatch(
      /String cannot represent a non string value/,
    );
    const syntax = await gql(nodeA.url, '{ cas');
    expect(syntax.body.errors?.[0].message).toMatch(/Syntax Error/);
  });
});

describe('vote and query', () => {
  it('commits a vote to MySQL before answering 成功, and every node then counts it', async () => {
    const [x, y] = [names[0], names[1]];
    expect(await queryCount(nodeA.url, x)).toBe(0);
    const ticket = await freshTicket();
    expect(await vote(nodeA.url, [x, y], ticket)).toBe('成功');
    const committed = await committedCounts(mysql);
    expect(committed.get(idOf(x))).toBe(1);
    expect(committed.get(idOf(y))).toBe(1);
    expect(await queryCount(nodeB.url, x)).toBe(1);
    expect(await queryCount(nodeA.url, x)).toBe(1);
    expect(await queryCount(nodeA.url, y)).toBe(1);
    // The cache is keyed by user id on the user's slot, and agrees with MySQL.
    expect(await redis.hget(VotingKeys.userVotes(idOf(x)), 'c')).toBe('1');
    expect(Number(await redis.get(VotingKeys.ticketUses))).toBeGreaterThanOrEqual(1);
  });

  it('answers 0 for a user never voted for, and USER_NOT_FOUND for a name that is no user', async () => {
    expect(await queryCount(nodeB.url, names[2])).toBe(0);
    const reply = await gql(nodeB.url, QUERY, { username: 'no-such-user' });
    expect(reply.status).toBe(200);
    expect(reply.body.errors?.[0].extensions?.code).toBe('USER_NOT_FOUND');
  });
});

describe('refusals change nothing', () => {
  const cases: [string, () => Promise<{ usernames: string[]; ticket: string }>, string][] = [
    ['an empty ticket', async () => ({ usernames: [names[3]], ticket: '' }), 'TICKET_INVALID'],
    [
      'an unknown ticket',
      async () => ({ usernames: [names[3]], ticket: 'AAAAAAAAAAAAAAAAAAAAAA' }),
      'TICKET_INVALID',
    ],
    [
      'an unknown user',
      async () => ({ usernames: [names[3], 'no-such-user'], ticket: await cas(nodeA.url) }),
      'USER_NOT_FOUND',
    ],
    [
      'a duplicate name',
      async () => ({ usernames: [names[3], names[4], names[3]], ticket: await cas(nodeA.url) }),
      'BAD_USER_INPUT',
    ],
    [
      'an empty list',
      async () => ({ usernames: [], ticket: await cas(nodeA.url) }),
      'BAD_USER_INPUT',
    ],
    [
      '101 names',
      async () => ({ usernames: names.slice(0, 101), ticket: await cas(nodeA.url) }),
      'BAD_USER_INPUT',
    ],
    [
      'a 65-character name',
      async () => ({ usernames: ['x'.repeat(65)], ticket: await cas(nodeA.url) }),
      'BAD_USER_INPUT',
    ],
  ];

  it.each(cases)('%s', async (_case, build, code) => {
    const { usernames, ticket } = await build();
    const before = await votingState();
    const reply = await gql(nodeB.url, VOTE, { usernames, ticket });
    expect(reply.status).toBe(200);
    expect(reply.body.data).toBeNull();
    expect(reply.body.errors).toHaveLength(1);
    expect(reply.body.errors?.[0].extensions?.code).toBe(code);
    if (code === 'TICKET_INVALID') expect(reply.body.errors?.[0].message).toBe('ticket 失效');
    expectUnchanged(before, await votingState());
  });

  it('refuses the ticket just replaced (no grace by default)', async () => {
    const stale = await freshTicket();
    await nextTicket(redis, stale, INTERVAL_MS * 2);
    const before = await votingState();
    expect(await vote(nodeA.url, [names[5]], stale)).toBe('TICKET_INVALID');
    expectUnchanged(before, await votingState());
  });
});

describe('usage cap', () => {
  it(`allows exactly ${MAX_USES} votes per ticket across nodes, then TICKET_EXHAUSTED`, async () => {
    const name = names[6];
    const ticket = await freshTicket();
    const results = await Promise.all(
      Array.from({ length: MAX_USES + 10 }, (_, i) =>
        vote([nodeA, nodeB][i % 2].url, [name], ticket, { newConnection: true }),
      ),
    );
    expect(results.filter((r) => r === '成功')).toHaveLength(MAX_USES);
    expect(results.filter((r) => r === 'TICKET_EXHAUSTED')).toHaveLength(10);
    expect(await redis.get(VotingKeys.ticketUses)).toBe(String(MAX_USES));
    expect((await committedCounts(mysql)).get(idOf(name))).toBe(MAX_USES);
    expect(await queryCount(nodeB.url, name)).toBe(MAX_USES);
  });
});

describe('a MySQL failure', () => {
  it('is SERVICE_UNAVAILABLE with the ticket use given back and no count changed', async () => {
    const name = names[7];
    const ticket = await freshTicket();
    expect(await vote(nodeA.url, [name], ticket)).toBe('成功');
    expect(await queryCount(nodeA.url, name)).toBe(1);
    const before = await votingState();
    await mysql.query('RENAME TABLE vote_count TO vote_count_away');
    try {
      expect(await vote(nodeA.url, [name, names[8]], ticket)).toBe('SERVICE_UNAVAILABLE');
      // A cached count still answers; an uncached one needs MySQL.
      expect(await queryCount(nodeB.url, name)).toBe(1);
      const reply = await gql(nodeB.url, QUERY, { username: names[9] });
      expect(reply.body.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await mysql.query('RENAME TABLE vote_count_away TO vote_count');
    }
    // Nothing counted, nothing left in flight; the use comes back to the node that took it.
    expect({ ...(await votingState()), uses: null }).toEqual({ ...before, uses: null });
    expect(await vote(nodeB.url, [name, names[8]], ticket)).toBe('成功');
    expect(await queryCount(nodeA.url, name)).toBe(2);
    // Two votes counted with this ticket: the failed one did not use it up.
    expect(await votesLeft(ticket, names[10])).toBe(MAX_USES - 2);
  });
});

describe('GraphiQL', () => {
  it('is served with every asset from the app itself', async () => {
    for (const path of ['/graphql', '/graphiql']) {
      const page = await request<string>('GET', `${nodeA.url}${path}`, {
        headers: { accept: 'text/html,application/xhtml+xml' },
      });
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toMatch(/GraphiQL/);
      const urls = [...page.text.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map(
        (m) => m[1],
      );
      expect(urls.length).toBeGreaterThanOrEqual(4);
      // Nothing absolute or protocol-relative: every file comes from the origin that served the page.
      expect(page.text).not.toMatch(/\b(?:src|href)="(?:[a-z]+:)?\/\//i);
      for (const url of urls) {
        const asset = await request<string>('GET', new URL(url, `${nodeA.url}${path}`).href);
        expect([url, asset.status]).toEqual([url, 200]);
        // Each library file is real (not an error page); the page's own start-up script is short.
        if (!url.endsWith('/init.js')) expect(asset.text.length).toBeGreaterThan(1000);
        // The stylesheet's fonts are inlined, not fetched.
        if (url.endsWith('.css')) expect(asset.text).not.toMatch(/url\(\s*['"]?(?:https?:)?\/\//);
      }
    }
  });

  it('still answers GraphQL over GET, and 404 for files it does not serve', async () => {
    const reply = await request<{ data: { cas: string } }>(
      'GET',
      `${nodeB.url}/graphql?query=${encodeURIComponent('{ cas }')}`,
    );
    expect(reply.body.data.cas).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await request('GET', `${nodeB.url}/graphiql/assets/package.json`)).status).toBe(404);
  });
});

describe('metrics', () => {
  it('reports per-node counters as JSON', async () => {
    const metrics = await metricsOf(nodeA.url);
    expect(metrics).toMatchObject({
      pid: nodeA.process.pid,
      'node.id': expect.stringMatching(/-\d+-[0-9a-f]{6}$/),
    });
    expect(metrics['vote.acknowledged']).toBeGreaterThan(0);
    expect(typeof metrics['query.mysqlReads']).toBe('number');
    expect(typeof metrics['leader.leading']).toBe('boolean');
  });
});

// Last: it replaces the dataset (new users) under the running nodes.
describe('a new dataset', () => {
  it('keeps the ticket in force and its rotation history, so voting goes on without a gap', async () => {
    const ticket = await redis.get(VotingKeys.ticket);
    const logBefore = await rotationLog(redis);
    expect(ticket).not.toBeNull();
    expect(logBefore.length).toBeGreaterThan(0);
    await generateDataset(env, { users: 150, foods: 2 });
    const after = await redis.get(VotingKeys.ticket);
    const logAfter = await rotationLog(redis);
    // The same ticket, or a newer one that a rotation since wrote on top of the kept history.
    expect(after).not.toBeNull();
    expect(logAfter.slice(0, logBefore.length)).toEqual(logBefore);
    if (after !== ticket) expect(logAfter.length).toBeGreaterThan(logBefore.length);
    // Once the nodes have loaded the new users, the ticket in force takes a vote for one of them.
    const [user] = env.users.slice(1);
    const deadline = Date.now() + 5000;
    let result = await vote(nodeA.url, [user.name], await cas(nodeA.url));
    while (result !== '成功' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      result = await vote(nodeA.url, [user.name], await cas(nodeA.url));
    }
    expect(result).toBe('成功');
  });
});

import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { VotingKeys } from '../src/voting/voting-keys';
import { AppNode, TestEnv, createTestEnv, mysqlOf, redisOf, startNode } from './utils/app-cluster';
import {
  VoteResult,
  cachedCounts,
  votesInFlight,
  cas,
  committedCounts,
  nextTicket,
  queryCount,
  redisNow,
  sleep,
  vote,
} from './utils/voting';
import { metricsOf } from './utils/http';

/**
 * Votes and queries racing across two real nodes: the counts equal the acknowledged votes
 * exactly, the usage cap holds to the vote, a burst of queries for an uncached name reaches
 * MySQL at most once per node, and a query racing a vote never leaves a stale count in the cache.
 * A short interval and a small cap make tickets run out and rotate constantly; a short grace
 * keeps the replaced ticket in play too.
 */

const INTERVAL_MS = 1000;
const MAX_USES = 60;
const GRACE_MS = 500;
const LOAD_MS = 6000;
const CLIENTS = 40;

let env: TestEnv;
let nodes: AppNode[] = [];
let redis: Redis;
let mysql: Connection;
let pool: { id: number; name: string }[];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

/** Votes until accepted, taking a new ticket whenever the one in hand is replaced or used up. */
async function voteSurely(url: string, usernames: string[]): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const result = await vote(url, usernames, await cas(url));
    if (result === '成功') return;
    expect(['TICKET_INVALID', 'TICKET_EXHAUSTED']).toContain(result);
    await sleep(20);
  }
  throw new Error('no ticket accepted the vote');
}

async function expectCacheMatchesMysql(): Promise<void> {
  const committed = await committedCounts(mysql);
  const ids = env.users.map((u) => u.id);
  for (const [id, cached] of await cachedCounts(redis, ids))
    expect([id, cached]).toEqual([id, committed.get(id) ?? 0]);
  expect(await votesInFlight(redis, ids)).toEqual({});
}

beforeAll(async () => {
  env = await createTestEnv(
    'voting_races',
    7,
    { users: 60, foods: 2 },
    {
      TICKET_INTERVAL_MS: String(INTERVAL_MS),
      LEADER_LEASE_MS: '3000',
      TICKET_MAX_USES: String(MAX_USES),
      TICKET_GRACE_MS: String(GRACE_MS),
      DB_POOL_SIZE: '16',
    },
  );
  nodes = await Promise.all([startNode(env), startNode(env)]);
  redis = redisOf(env);
  mysql = await mysqlOf(env);
  pool = env.users.filter((u) => u.name !== 'root').slice(0, 30);
  await nextTicket(redis, null);
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  redis?.disconnect();
  await mysql?.end();
});

it('counts exactly the acknowledged votes of many concurrent clients, and never exceeds the cap', async () => {
  const acked = new Map<number, number>();
  const perTicket = new Map<string, { ok: number; exhausted: number }>();
  const outcomes = new Map<VoteResult, number>();
  const end = Date.now() + LOAD_MS;

  const client = async (): Promise<void> => {
    let ticket = await cas(pick(nodes).url);
    while (Date.now() < end) {
      const users = [
        ...new Set(Array.from({ length: 1 + Math.floor(Math.random() * 5) }, () => pick(pool))),
      ];
      const node = pick(nodes);
      const result = await vote(
        node.url,
        users.map((u) => u.name),
        ticket,
      );
      outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
      const tally = perTicket.get(ticket) ?? { ok: 0, exhausted: 0 };
      perTicket.set(ticket, tally);
      if (result === '成功') {
        tally.ok++;
        for (const u of users) acked.set(u.id, (acked.get(u.id) ?? 0) + 1);
        continue;
      }
      if (result === 'TICKET_EXHAUSTED') {
        tally.exhausted++;
        await sleep(15);
      }
      ticket = await cas(node.url);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));

  expect([...outcomes.keys()].sort()).toEqual(expect.arrayContaining(['TICKET_EXHAUSTED', '成功']));
  for (const key of outcomes.keys())
    expect(['成功', 'TICKET_EXHAUSTED', 'TICKET_INVALID']).toContain(key);
  // The cap, to the vote: a ticket that ran out took exactly MAX_USES votes, none took more.
  const exhaustedTickets = [...perTicket.values()].filter((t) => t.exhausted > 0);
  expect(exhaustedTickets.length).toBeGreaterThanOrEqual(3);
  for (const tally of perTicket.values()) expect(tally.ok).toBeLessThanOrEqual(MAX_USES);
  for (const tally of exhaustedTickets) expect(tally.ok).toBe(MAX_USES);
  expect(Number(await redis.get(VotingKeys.ticketUses))).toBeLessThanOrEqual(MAX_USES);

  // Exactly the acknowledged votes, in MySQL, in the cache and through either node.
  const committed = await committedCounts(mysql);
  for (const u of pool)
    expect([u.name, committed.get(u.id) ?? 0]).toEqual([u.name, acked.get(u.id) ?? 0]);
  await expectCacheMatchesMysql();
  for (const u of pool) {
    for (const node of nodes)
      expect([u.name, await queryCount(node.url, u.name)]).toEqual([u.name, acked.get(u.id) ?? 0]);
  }
}, 60_000);

it('reaches MySQL at most once per node for 1,000 concurrent queries of an uncached name', async () => {
  const user = pool[0];
  const expected = (await committedCounts(mysql)).get(user.id) ?? 0;
  await redis.hdel(VotingKeys.userVotes(user.id), 'c');
  const before = await Promise.all(nodes.map((n) => metricsOf(n.url)));
  const answers = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => queryCount(nodes[i % nodes.length].url, user.name)),
  );
  const after = await Promise.all(nodes.map((n) => metricsOf(n.url)));

  expect(new Set(answers)).toEqual(new Set([expected]));
  const reads = after.map(
    (m, i) => (m['query.mysqlReads'] as number) - (before[i]['query.mysqlReads'] as number),
  );
  for (const r of reads) expect(r).toBeLessThanOrEqual(1);
  expect(reads.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
  expect(await redis.hget(VotingKeys.userVotes(user.id), 'c')).toBe(String(expected));
}, 30_000);

it('never leaves a stale count in the cache when a query races a vote (150 races)', async () => {
  const racers = pool.slice(1, 6);
  const committed = await committedCounts(mysql);
  const counts = new Map(racers.map((u) => [u.id, committed.get(u.id) ?? 0]));
  for (let i = 0; i < 150; i++) {
    const user = racers[i % racers.length];
    const before = counts.get(user.id)!;
    // Cold on most rounds, so the query's MySQL read and cache fill race the vote's commit.
    if (i % 3 !== 2) await redis.hdel(VotingKeys.userVotes(user.id), 'c');
    const voting = voteSurely(nodes[i % 2].url, [user.name]);
    const racing = [0, 0, 1, 2, 3, 5, 8].map(async (delay, k) => {
      await sleep(delay);
      return queryCount(nodes[(i + k) % 2].url, user.name);
    });
    const [, ...seen] = await Promise.all([voting, ...racing]);
    for (const n of seen) expect([before, before + 1]).toContain(n);
    counts.set(user.id, before + 1);
    // Acknowledged: every later query, on every node, includes it; the cache holds it or nothing.
    for (const node of nodes) expect(await queryCount(node.url, user.name)).toBe(before + 1);
    expect([null, String(before + 1)]).toContain(
      await redis.hget(VotingKeys.userVotes(user.id), 'c'),
    );
  }
  const final = await committedCounts(mysql);
  for (const u of racers) expect(final.get(u.id)).toBe(counts.get(u.id));
  await expectCacheMatchesMysql();
}, 60_000);

it(`accepts the replaced ticket for TICKET_GRACE_MS (${GRACE_MS} ms), then refuses it`, async () => {
  const user = pool[10];
  const before = (await committedCounts(mysql)).get(user.id) ?? 0;
  const old = await nextTicket(redis, await redis.get(VotingKeys.ticket));
  await nextTicket(redis, old);
  const replacedAt = Date.now();
  expect(await vote(nodes[1].url, [user.name], old)).toBe('成功');
  await sleep(Math.max(0, replacedAt + GRACE_MS + 150 - Date.now()));
  expect(await vote(nodes[0].url, [user.name], old)).toBe('TICKET_INVALID');
  expect((await committedCounts(mysql)).get(user.id)).toBe(before + 1);
});

it('heals a vote its node abandoned mid-flight, so the cache can fill again', async () => {
  // What a node killed between its mark and its settle leaves behind, a minute old.
  const user = pool[20];
  const count = (await committedCounts(mysql)).get(user.id) ?? 0;
  const key = VotingKeys.userVotes(user.id);
  const markedAt = (await redisNow(redis)) - 60_000;
  await redis.multi().hset(key, 'f:crashed-vote', String(markedAt)).hincrby(key, 'p', 1).exec();
  const healedBefore = await Promise.all(nodes.map((n) => metricsOf(n.url)));
  // While it is in flight no cached count is served: the vote may yet have committed. The query
  // reads MySQL, and its cache fill, refused, heals the mark (older than 30 s).
  await redis.hset(key, 'c', String(count + 100));
  expect(await queryCount(nodes[0].url, user.name)).toBe(count);
  expect(await votesInFlight(redis, [user.id])).toEqual({});
  expect(await redis.hget(key, 'c')).toBeNull();
  const healed = await Promise.all(nodes.map((n) => metricsOf(n.url)));
  const sum = (m: Record<string, unknown>[]): number =>
    m.reduce((total, one) => total + ((one['vote.marksHealed'] as number) ?? 0), 0);
  expect(sum(healed) - sum(healedBefore)).toBe(1);
  // The next query fills the cache again.
  expect(await queryCount(nodes[1].url, user.name)).toBe(count);
  expect(await redis.hget(key, 'c')).toBe(String(count));
  await expectCacheMatchesMysql();
}, 20_000);

import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { VotingKeys } from '../src/voting/voting-keys';
import { AppNode, TestEnv, createTestEnv, mysqlOf, redisOf, startNode } from './utils/app-cluster';
import { inDoubtRecords } from './utils/suite-redis';
import { metricsOf, Reply, request } from './utils/http';
import {
  GraphqlBody,
  QUERY,
  UserVotes,
  VOTE,
  cachedCounts,
  committedCounts,
  waitUntil,
  gql,
  nextTicket,
  queryCount,
  sleep,
  userVotes,
  vote,
  votesInFlight,
} from './utils/voting';
import { TcpProxy } from './utils/tcp-proxy';

/**
 * The voting API when Redis or MySQL goes away under a running node, on the wire: the node reaches
 * both through TCP proxies the suite cuts or pauses, while the suite reads Redis and MySQL
 * directly. A Redis outage is a prompt SERVICE_UNAVAILABLE for vote and query with nothing
 * applied (cas may still answer the ticket in force from memory while it surely stays so); a MySQL
 * outage likewise for a vote, with the ticket use given back; and a vote whose MySQL commit
 * succeeded but whose Redis settle failed is acknowledged (it counts), while `query` never serves
 * the cached count it left behind MySQL: its marks on the users' hashes send readers to MySQL until,
 * 30 s old, they are healed by the next cache fill of each user.
 */

/** "Promptly": an outage is answered long before a client would give up. */
const PROMPT_MS = 2000;
/** How long the Redis outage test keeps sending requests into the outage. */
const OUTAGE_MS = 2500;
const INTERVAL_MS = 1000;
/**
 * A small cap, so that a test can see a use given back by the votes it still allows (the node
 * spends its allowance in memory: the uses Redis granted never go back down for a failed vote).
 */
const MAX_USES = 2;
/** A replaced ticket stays valid one more interval: time to spend its uses after a failed vote. */
const GRACE_MS = INTERVAL_MS;
/** Redis logical DB of this suite (test/utils/app-cluster.ts documents the allocation). */
const REDIS_DB = 11;
/**
 * vote-ledger.service.ts ABANDONED_AFTER_MS (30 s, not configurable) plus slack: how long a vote
 * whose settle failed stays marked on a user that is queried all along (the first cache fill after
 * its mark is that old heals it).
 */
const HEAL_WITHIN_MS = 30_000 + 7_000;

let env: TestEnv;
let node: AppNode;
let redis: Redis;
let mysql: Connection;
let redisProxy: TcpProxy;
let mysqlProxy: TcpProxy;
let nextUser = 1; // users[0] is root

type User = TestEnv['users'][number];

/** Acknowledged votes per user id: exactly what MySQL must hold. */
const acknowledged = new Map<number, number>();

function takeUsers(n: number): User[] {
  const taken = env.users.slice(nextUser, nextUser + n);
  nextUser += n;
  if (taken.length < n) throw new Error('the suite needs more users in its dataset');
  return taken;
}

const idsOf = (users: User[]): number[] => users.map((u) => u.id);

function recordAcknowledged(users: User[]): void {
  for (const u of users) acknowledged.set(u.id, (acknowledged.get(u.id) ?? 0) + 1);
}

/** Votes on the node with a fresh ticket and expects 成功; records the votes as acknowledged. */
async function voteAcknowledged(users: User[]): Promise<string> {
  const ticket = await freshTicket();
  expect(
    await vote(
      node.url,
      users.map((u) => u.name),
      ticket,
    ),
  ).toBe('成功');
  recordAcknowledged(users);
  return ticket;
}

/**
 * Votes `ticket` for `user` until it is refused, which must be TICKET_EXHAUSTED (the ticket still
 * valid: GRACE_MS); resolves to the votes acknowledged, recorded as such. A use that a failed vote
 * gave back is one more vote here.
 */
async function votesLeft(ticket: string, user: User): Promise<number> {
  for (let n = 0; ; n++) {
    const result = await vote(node.url, [user.name], ticket);
    if (result !== '成功') {
      expect(result).toBe('TICKET_EXHAUSTED');
      return n;
    }
    recordAcknowledged([user]);
  }
}

/** MySQL holds exactly the acknowledged votes. */
async function expectCommittedExactly(users: User[]): Promise<void> {
  const committed = await committedCounts(mysql);
  expect(Object.fromEntries(users.map((u) => [u.name, committed.get(u.id) ?? 0]))).toEqual(
    Object.fromEntries(users.map((u) => [u.name, acknowledged.get(u.id) ?? 0])),
  );
}

async function committedOf(user: User): Promise<number> {
  return (await committedCounts(mysql)).get(user.id) ?? 0;
}

/** A ticket fresh enough to finish a test step before the next rotation. */
async function freshTicket(): Promise<string> {
  return nextTicket(redis, await redis.get(VotingKeys.ticket), INTERVAL_MS * 4);
}

interface VotingState {
  ticket: string | null;
  /** Uses of the ticket granted to nodes. */
  uses: string | null;
  /** user name -> the user's votes hash (cached count, version, marks in flight). */
  users: Record<string, UserVotes>;
}

/** Everything in Redis that a vote (or a refused one) for `users` could change. */
async function votingState(users: User[]): Promise<VotingState> {
  const [ticket, uses] = await redis.mget(VotingKeys.ticket, VotingKeys.ticketUses);
  const votes = await Promise.all(users.map((u) => userVotes(redis, u.id)));
  return { ticket, uses, users: Object.fromEntries(users.map((u, i) => [u.name, votes[i]])) };
}

/**
 * What a vote for `users` that does not count must leave as it found it: their cached counts, and
 * no vote in flight (their versions may move: every settle bumps them).
 */
async function countsAndMarks(
  users: User[],
): Promise<{ cached: [number, number][]; inFlight: Record<number, string[]> }> {
  return {
    cached: [...(await cachedCounts(redis, idsOf(users)))],
    inFlight: await votesInFlight(redis, idsOf(users)),
  };
}

/** Exactly one vote is marked in flight, the same on every user of `users`. */
async function expectOneVoteInFlight(users: User[]): Promise<void> {
  const votes = await Promise.all(users.map((u) => userVotes(redis, u.id)));
  const [token] = Object.keys(votes[0].marks);
  expect(votes.map((v) => ({ pending: v.pending, tokens: Object.keys(v.marks) }))).toEqual(
    users.map(() => ({ pending: 1, tokens: [token] })),
  );
}

/** Times one request: its reply and how long it took. */
async function timed<T>(send: () => Promise<T>): Promise<{ reply: T; ms: number }> {
  const t0 = Date.now();
  const reply = await send();
  return { reply, ms: Date.now() - t0 };
}

/**
 * The contract's SERVICE_UNAVAILABLE as GraphQL carries it: HTTP 200, no data (every root field
 * is non-null), one error on the field with `extensions.code`.
 */
function expectServiceUnavailable(reply: Reply<GraphqlBody<unknown>>, fieldName: string): void {
  expect({ status: reply.status, body: reply.body }).toEqual({
    status: 200,
    body: {
      data: null,
      errors: [
        expect.objectContaining({
          message: expect.stringMatching(/\S/),
          path: [fieldName],
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        }),
      ],
    },
  });
}

async function waitReady(timeoutMs = 15_000): Promise<void> {
  await waitUntil(
    async () => {
      const reply = await request('GET', `${node.url}/health/ready`, { timeoutMs: 3000 }).catch(
        () => undefined,
      );
      return reply?.status === 200 ? true : undefined;
    },
    timeoutMs,
    'the node to be ready',
    100,
  );
}

/** Group commits voided by a node that could not tell whether they had committed. */
async function voidedGroups(): Promise<number> {
  const [rows] = await mysql.query('SELECT COUNT(*) AS n FROM vote_group WHERE voided = 1');
  return Number((rows as { n: number }[])[0].n);
}

/** Every node's vote groups in doubt (group id -> record), as the registry holds them. */
async function groupsInDoubt(): Promise<Record<string, string>> {
  return Object.assign({}, ...(await inDoubtRecords(redis, 'vote')).values());
}

async function metric(name: string): Promise<number> {
  return Number((await metricsOf(node.url))[name]);
}

beforeAll(async () => {
  env = await createTestEnv(
    'voting_outages',
    REDIS_DB,
    { users: 30, foods: 2 },
    // A 2 s query timeout (the default is 5): the hung-MySQL test gets its answer sooner.
    {
      TICKET_INTERVAL_MS: String(INTERVAL_MS),
      TICKET_MAX_USES: String(MAX_USES),
      TICKET_GRACE_MS: String(GRACE_MS),
      LEADER_LEASE_MS: '1500',
      DB_QUERY_TIMEOUT_MS: '2000',
    },
  );
  redisProxy = await TcpProxy.start(
    Number(env.env.REDIS_PORT ?? 6379),
    env.env.REDIS_HOST ?? '127.0.0.1',
  );
  mysqlProxy = await TcpProxy.start(
    Number(env.env.DB_PORT ?? 3306),
    env.env.DB_HOST ?? '127.0.0.1',
  );
  redis = redisOf(env);
  // A fresh dataset for a fresh run: nothing left of an earlier run in this suite's Redis DB.
  await Promise.all(env.users.map((u) => redis.del(VotingKeys.userVotes(u.id))));
  mysql = await mysqlOf(env);
  node = await startNode(env, {
    env: { REDIS_PORT: String(redisProxy.port), DB_PORT: String(mysqlProxy.port) },
  });
  // The node really goes through both proxies.
  expect(redisProxy.accepted).toBeGreaterThan(0);
  expect(mysqlProxy.accepted).toBeGreaterThan(0);
  await nextTicket(redis, null);
}, 60_000);

afterAll(async () => {
  redisProxy?.resume();
  mysqlProxy?.resume();
  await redisProxy?.restore();
  await mysqlProxy?.restore();
  await node?.stop('SIGTERM', 5000);
  await redisProxy?.close();
  await mysqlProxy?.close();
  redis?.disconnect();
  await mysql?.end();
});

beforeEach(async () => {
  await waitReady();
});

it('answers vote and query with a prompt SERVICE_UNAVAILABLE while Redis is cut (cas: the ticket in force while surely so, then SERVICE_UNAVAILABLE), applies nothing, and votes again after', async () => {
  const [cachedUser, uncachedUser] = takeUsers(2);
  const users = [cachedUser, uncachedUser];
  // Just before the cut, with a fresh ticket: the node usually still holds an unspent use of it
  // when Redis goes, so the first votes below take it from memory and fail at their mark; the
  // later ones (once the ticket's sure validity is over) fail asking Redis for uses.
  await voteAcknowledged([cachedUser]);
  expect(await queryCount(node.url, cachedUser.name)).toBe(1);
  expect(await redis.hget(VotingKeys.userVotes(cachedUser.id), 'c')).toBe('1');
  expect(await redis.hget(VotingKeys.userVotes(uncachedUser.id), 'c')).toBeNull();
  const failedBefore = await metric('vote.failed');
  const mysqlBefore = await committedCounts(mysql);

  await redisProxy.cut();
  const cutAt = Date.now();
  const answers: { what: string; ms: number; reply: Reply<GraphqlBody<unknown>> }[] = [];
  /** cas answers that named a ticket: how long after the cut each was sent. */
  const casFromMemory: number[] = [];
  let votesSent = 0;
  try {
    // Taken after the cut: the node cannot change Redis any more, not even rotate the ticket, so
    // this is the ticket in force; a vote with it would succeed if Redis were reachable.
    const before = await votingState(users);
    expect(before.ticket).not.toBeNull();
    const sends: [string, string, () => Promise<Reply<GraphqlBody<unknown>>>][] = [
      [
        'vote',
        'vote',
        () =>
          gql(node.url, VOTE, {
            usernames: [cachedUser.name, uncachedUser.name],
            ticket: before.ticket,
          }),
      ],
      ['query (cached)', 'query', () => gql(node.url, QUERY, { username: cachedUser.name })],
      ['query (uncached)', 'query', () => gql(node.url, QUERY, { username: uncachedUser.name })],
      ['cas', 'cas', () => gql(node.url, '{ cas }')],
    ];
    const t0 = Date.now();
    while (Date.now() - t0 < OUTAGE_MS) {
      for (const [what, fieldName, send] of sends) {
        const sentAt = Date.now();
        const { reply, ms } = await timed(send);
        if (what === 'vote') votesSent++;
        answers.push({ what, ms, reply });
        if (what === 'cas' && reply.body.data !== null) {
          // From memory: the ticket in force and no other, only while it surely stays in force.
          expect(reply.body).toEqual({ data: { cas: before.ticket } });
          casFromMemory.push(sentAt - cutAt);
        } else expectServiceUnavailable(reply, fieldName);
      }
      await sleep(150);
    }
    // Nothing reached Redis: no ticket use granted, no count, no mark, no vote in flight.
    expect(await votingState(users)).toEqual(before);
  } finally {
    await redisProxy.restore();
  }
  expect(answers.length).toBeGreaterThanOrEqual(8);
  expect(answers.filter((a) => a.ms >= PROMPT_MS).map((a) => [a.what, a.ms])).toEqual([]);
  // The ticket was rotated before the cut, so it surely stays in force less than one interval
  // after it (100 ms of slack for the timers); the outage lasts longer: cas ends up unavailable.
  expect(casFromMemory.filter((ms) => ms >= INTERVAL_MS + 100)).toEqual([]);
  expect(answers.filter((a) => a.what === 'cas').length).toBeGreaterThan(casFromMemory.length);
  // Nothing reached MySQL either.
  expect(await committedCounts(mysql)).toEqual(mysqlBefore);
  expect((await metric('vote.failed')) - failedBefore).toBe(votesSent);

  // Back to normal once Redis is back.
  await waitReady();
  const acknowledgedBefore = await metric('vote.acknowledged');
  const { ms } = await timed(() => voteAcknowledged(users));
  expect(ms).toBeLessThan(PROMPT_MS + INTERVAL_MS * 4);
  expect((await metric('vote.acknowledged')) - acknowledgedBefore).toBe(1);
  await expectCommittedExactly(users);
  expect(await queryCount(node.url, cachedUser.name)).toBe(2);
  expect(await queryCount(node.url, uncachedUser.name)).toBe(1);
  // The marks of the votes refused in the outage never ran; their undo leaves nothing behind.
  expect(await votesInFlight(redis, idsOf(users))).toEqual({});
});

it('replaces a Redis connection gone silent (the peer vanished without a reset): SERVICE_UNAVAILABLE meanwhile, then served over a new connection', async () => {
  const [user] = takeUsers(1);
  await voteAcknowledged([user]);
  expect(await queryCount(node.url, user.name)).toBe(1);
  const acceptedBefore = redisProxy.accepted;
  // The node's connection to Redis stops moving bytes for good; a new connection would work.
  redisProxy.pauseOpen();
  try {
    // A query waits until the command timeout (the default 5 s), then gets its 503.
    expectServiceUnavailable(await gql(node.url, QUERY, { username: user.name }), 'query');
    // The connection has been silent with commands waiting: the node drops it and connects again.
    const served = await waitUntil(
      () => queryCount(node.url, user.name).catch(() => undefined),
      15_000,
      'the node to be served over a new connection',
      200,
    );
    expect(served).toBe(1);
    expect(redisProxy.accepted).toBeGreaterThan(acceptedBefore);
  } finally {
    redisProxy.resume();
  }
  await waitReady();
  await voteAcknowledged([user]);
  expect(await queryCount(node.url, user.name)).toBe(2);
  await expectCommittedExactly([user]);
});

it('answers a vote with a prompt SERVICE_UNAVAILABLE while MySQL is cut, gives the ticket use back, and votes again after', async () => {
  const [cachedUser, uncachedUser, spender] = takeUsers(3);
  const users = [cachedUser, uncachedUser];
  await voteAcknowledged([cachedUser]);
  expect(await queryCount(node.url, cachedUser.name)).toBe(1);
  const mysqlBefore = await committedCounts(mysql);
  const redisBefore = await countsAndMarks(users);

  await mysqlProxy.cut();
  // Let the node see its pooled connections die before it is asked anything.
  await sleep(200);
  let ticket: string;
  try {
    ticket = await freshTicket();
    const { reply, ms } = await timed(() =>
      gql(node.url, VOTE, { usernames: [cachedUser.name, uncachedUser.name], ticket }),
    );
    expectServiceUnavailable(reply, 'vote');
    expect(ms).toBeLessThan(PROMPT_MS);
    // A cached count needs no MySQL; an uncached one does.
    expect(await queryCount(node.url, cachedUser.name)).toBe(1);
    expectServiceUnavailable(await gql(node.url, QUERY, { username: uncachedUser.name }), 'query');
  } finally {
    await mysqlProxy.restore();
  }
  // No cached count moved, nothing is left in flight, nothing reached MySQL.
  expect(await countsAndMarks(users)).toEqual(redisBefore);
  expect(await committedCounts(mysql)).toEqual(mysqlBefore);
  // The use was given back (to the node's allowance, or to Redis once that lapsed): the ticket,
  // still valid, allows all its votes.
  await waitReady();
  expect(await votesLeft(ticket!, spender)).toBe(MAX_USES);

  await voteAcknowledged(users);
  await expectCommittedExactly([...users, spender]);
  expect(await queryCount(node.url, cachedUser.name)).toBe(2);
  expect(await queryCount(node.url, uncachedUser.name)).toBe(1);
});

it('settles a commit cut off mid-way: asks MySQL, voids the group that never landed, answers SERVICE_UNAVAILABLE and gives the use back', async () => {
  const [cachedUser, uncachedUser, spender] = takeUsers(3);
  const users = [cachedUser, uncachedUser];
  await voteAcknowledged([cachedUser]);
  expect(await queryCount(node.url, cachedUser.name)).toBe(1);
  const mysqlBefore = await committedCounts(mysql);
  const redisBefore = await countsAndMarks(users);
  const voidedBefore = await voidedGroups();
  const inDoubtBefore = await metric('vote.groupsInDoubt');
  const groupsBefore = await metric('vote.commitGroups');

  // The commit's first bytes are held by the paused proxy, then its connection is reset: the node
  // cannot know whether the group committed (a reset may come after the server committed).
  mysqlProxy.pause();
  let ticket: string;
  let outcome: { reply: Reply<GraphqlBody<unknown>>; ms: number } | undefined;
  try {
    ticket = await freshTicket();
    const pending = timed(() =>
      gql(node.url, VOTE, { usernames: [cachedUser.name, uncachedUser.name], ticket }),
    ).then((r) => (outcome = r));
    await waitUntil(
      async () => ((await metric('vote.commitGroups')) > groupsBefore ? true : undefined),
      5000,
      'the vote to reach its MySQL commit',
    );
    await mysqlProxy.cut();
    mysqlProxy.resume();
    // MySQL is unreachable for a moment: the node keeps asking until it can.
    await sleep(500);
    await mysqlProxy.restore();
    await pending;
  } finally {
    mysqlProxy.resume();
    await mysqlProxy.restore();
  }
  // The group never reached MySQL: the node's void record won, so the vote is refused truthfully.
  expectServiceUnavailable(outcome!.reply, 'vote');
  expect(outcome!.ms).toBeLessThan(PROMPT_MS + 3000);
  // The use was given back: the ticket, still valid, allows all its votes.
  expect(await votesLeft(ticket!, spender)).toBe(MAX_USES);
  expect(await voidedGroups()).toBe(voidedBefore + 1);
  expect(await metric('vote.groupsInDoubt')).toBe(inDoubtBefore);
  expect(await committedCounts(mysql)).toEqual(
    new Map([...mysqlBefore, [spender.id, acknowledged.get(spender.id)!]]),
  );
  expect(await countsAndMarks(users)).toEqual(redisBefore);

  await waitReady();
  await voteAcknowledged(users);
  await expectCommittedExactly([...users, spender]);
  expect(await queryCount(node.url, cachedUser.name)).toBe(2);
  expect(await queryCount(node.url, uncachedUser.name)).toBe(1);
});

/**
 * A vote for x (who has no vote in flight) and y (none counted yet) on the node at `url`, whose
 * group commits in MySQL while its answer is held; then MySQL is gone for longer than the node
 * keeps asking (3 s), so the node cannot learn the outcome and answers SERVICE_UNAVAILABLE. Leaves
 * the MySQL proxy cut: the caller restores it. The vote's ticket use goes back to its node, but
 * that cannot be seen: the ticket is dead by the time the vote is answered (over 3 s).
 */
async function voteCommittedButAnsweredInDoubt(url: string, [x, y]: User[]): Promise<void> {
  // The group's statements are answered up to its COMMIT, which runs but whose answer is held.
  mysqlProxy.pauseRepliesAfter('COMMIT');
  const ticket = await freshTicket();
  const pending = gql(url, VOTE, { usernames: [x.name, y.name], ticket });
  await waitUntil(
    async () => ((await committedOf(y)) === 1 ? true : undefined),
    5000,
    'the group to commit in MySQL',
  );
  await mysqlProxy.cut();
  mysqlProxy.resume();
  expectServiceUnavailable(await pending, 'vote');
}

it('takes back a group that committed though it was answered SERVICE_UNAVAILABLE (MySQL away longer than the node asks): the vote does not count', async () => {
  const [x, y] = takeUsers(2);
  // x has a cached count before the vote; y has none.
  await voteAcknowledged([x]);
  expect(await queryCount(node.url, x.name)).toBe(1);
  const inDoubtBefore = await metric('vote.groupsInDoubt');
  const revertedBefore = await metric('vote.groupsReverted');
  try {
    await voteCommittedButAnsweredInDoubt(node.url, [x, y]);
    expect(await metric('vote.groupsInDoubt')).toBe(inDoubtBefore + 1);
    // Still in MySQL for now; its vote stays marked on x and y, so x's cached count is not served.
    expect(await committedOf(x)).toBe(2);
    await expectOneVoteInFlight([x, y]);
    expectServiceUnavailable(await gql(node.url, QUERY, { username: x.name }), 'query');
  } finally {
    mysqlProxy.resume();
    await mysqlProxy.restore();
  }
  // Once MySQL answers, the node takes the group's votes back and settles it in Redis.
  await waitUntil(
    async () => ((await metric('vote.groupsReverted')) === revertedBefore + 1 ? true : undefined),
    10_000,
    'the group to be taken back',
    100,
  );
  await expectCommittedExactly([x, y]);
  // The metric counts the MySQL step; the Redis settle and the record's drop follow.
  await waitUntil(
    async () => (Object.keys(await groupsInDoubt()).length === 0 ? true : undefined),
    5000,
    'the record to be dropped',
    100,
  );
  // Settled as reverted: its marks are gone (and x's cached count dropped, to be filled again).
  expect(await votesInFlight(redis, idsOf([x, y]))).toEqual({});
  await expectUncountedThenVotesCount(x, y);
});

it('takes back, when its node dies after answering SERVICE_UNAVAILABLE in doubt, a group that had committed: the leader adopts it', async () => {
  // A second node through the same proxies, killed once it has answered; `node` lives on.
  const doomed = await startNode(env, {
    env: { REDIS_PORT: String(redisProxy.port), DB_PORT: String(mysqlProxy.port) },
  });
  try {
    const [x, y] = takeUsers(2);
    await voteAcknowledged([x]);
    expect(await queryCount(node.url, x.name)).toBe(1);
    const adoptedBefore = await metric('vote.groupsAdopted');
    try {
      await voteCommittedButAnsweredInDoubt(doomed.url, [x, y]);
      // Recorded in Redis before the answer; then the node dies before it could settle the group.
      expect(Object.keys(await groupsInDoubt())).toHaveLength(1);
      await doomed.stop('SIGKILL');
    } finally {
      mysqlProxy.resume();
      await mysqlProxy.restore();
    }
    expect(await committedOf(x)).toBe(2);
    // Once the dead node's lease has expired, the leader adopts the group and takes it back.
    await waitUntil(
      async () => ((await committedOf(y)) === 0 ? true : undefined),
      20_000,
      'the group to be taken back',
      200,
    );
    await expectCommittedExactly([x, y]);
    expect(await metric('vote.groupsAdopted')).toBe(adoptedBefore + 1);
    await waitUntil(
      async () => (Object.keys(await groupsInDoubt()).length === 0 ? true : undefined),
      5000,
      'the record to be dropped',
      100,
    );
    // Settled by the leader: the dead node's marks on x and y are gone.
    expect(await votesInFlight(redis, idsOf([x, y]))).toEqual({});
    await expectUncountedThenVotesCount(x, y);
  } finally {
    await doomed.stop('SIGKILL');
  }
});

it('answers a vote with SERVICE_UNAVAILABLE while MySQL hangs (no answer, no reset), and settles the group once MySQL answers: the vote does not count', async () => {
  const [x, y] = takeUsers(2);
  await voteAcknowledged([x]);
  expect(await queryCount(node.url, x.name)).toBe(1);
  const inDoubtBefore = await metric('vote.groupsInDoubt');
  const revertedBefore = await metric('vote.groupsReverted');
  const voidedBefore = await voidedGroups();
  let outcome: { reply: Reply<GraphqlBody<unknown>>; ms: number };
  // Nothing moves between the node and MySQL: the commit is sent and neither answered nor refused.
  mysqlProxy.pause();
  try {
    const ticket = await freshTicket();
    outcome = await timed(() => gql(node.url, VOTE, { usernames: [x.name, y.name], ticket }));
    // In doubt: the vote stays marked on x and y, so x's cached count is not served.
    await expectOneVoteInFlight([x, y]);
    expectServiceUnavailable(await gql(node.url, QUERY, { username: x.name }), 'query');
  } finally {
    mysqlProxy.resume();
  }
  expectServiceUnavailable(outcome.reply, 'vote');
  // DB_QUERY_TIMEOUT_MS (2 s here) for the commit, then up to 3 s of asking whether it landed.
  expect(outcome.ms).toBeLessThan(12_000);
  expect(await metric('vote.groupsInDoubt')).toBe(inDoubtBefore + 1);
  // Once MySQL answers, the group is settled either way: taken back if the held commit landed
  // when the proxy let it through, voided if it never did.
  await waitUntil(
    async () =>
      (await metric('vote.groupsReverted')) > revertedBefore ||
      (await voidedGroups()) > voidedBefore
        ? true
        : undefined,
    10_000,
    'the group to be settled',
    100,
  );
  await waitUntil(
    async () =>
      Object.keys(await votesInFlight(redis, idsOf([x, y]))).length === 0 ? true : undefined,
    10_000,
    'nothing left in flight',
    100,
  );
  await expectCommittedExactly([x, y]);
  await expectUncountedThenVotesCount(x, y);
});

/**
 * After a refused vote for x (who had one acknowledged vote before it) and y (none): query serves
 * the counts without it, and once the node is ready both vote again and count.
 */
async function expectUncountedThenVotesCount(x: User, y: User): Promise<void> {
  expect(await queryCount(node.url, x.name)).toBe(1);
  expect(await queryCount(node.url, y.name)).toBe(0);
  await waitReady();
  await voteAcknowledged([x, y]);
  await expectCommittedExactly([x, y]);
  expect(await queryCount(node.url, x.name)).toBe(2);
  expect(await queryCount(node.url, y.name)).toBe(1);
}

/** Sends a vote whose mark runs but whose answer is lost; Redis is back after `awayMs`. */
async function voteWithLostMark(
  user: User,
  ticket: string,
  awayMs: number,
): Promise<{ reply: Reply<GraphqlBody<unknown>>; ms: number }> {
  // From the vote's mark on: the one command naming the user's hash (an ask for ticket uses, if
  // the vote needs one, comes before it and names only the ticket's keys).
  redisProxy.pauseRepliesAfter(VotingKeys.userVotes(user.id));
  try {
    const pending = timed(() => gql(node.url, VOTE, { usernames: [user.name], ticket }));
    await waitUntil(
      async () => ((await userVotes(redis, user.id)).pending === 1 ? true : undefined),
      5000,
      'the mark to run in Redis',
    );
    await redisProxy.cut();
    redisProxy.resume();
    await sleep(awayMs);
    await redisProxy.restore();
    return await pending;
  } finally {
    redisProxy.resume();
    await redisProxy.restore();
  }
}

it('goes on with a vote whose mark ran but whose answer was lost: it sends the mark again (safe to resend), and the vote counts', async () => {
  const [user] = takeUsers(1);
  await voteAcknowledged([user]);
  const { reply, ms } = await voteWithLostMark(user, await freshTicket(), 0);
  expect(reply.body.errors).toBeUndefined();
  expect(reply.body.data).toEqual({ vote: '成功' });
  expect(ms).toBeLessThan(PROMPT_MS + 1000);
  recordAcknowledged([user]);
  await expectCommittedExactly([user]);
  // Marked once though sent twice: its settle left nothing in flight.
  expect(await votesInFlight(redis, [user.id])).toEqual({});
  expect(await queryCount(node.url, user.name)).toBe(2);
});

it('undoes, once Redis answers again, the mark of a vote whose answer was lost while Redis stayed away: nothing is left of the vote', async () => {
  const [user] = takeUsers(1);
  await voteAcknowledged([user]);
  expect(await queryCount(node.url, user.name)).toBe(1);
  const ticket = await freshTicket();
  const before = await userVotes(redis, user.id);
  // Away longer than the node keeps asking (3 s): the vote is refused.
  const { reply } = await voteWithLostMark(user, ticket, 3500);
  expectServiceUnavailable(reply, 'vote');
  // Well before a query could heal it (30 s), the node itself undoes the mark.
  await waitUntil(
    async () =>
      Object.keys(await votesInFlight(redis, [user.id])).length === 0 ? true : undefined,
    5000,
    'the lost mark to be undone',
    100,
  );
  // The cached count did not move. The ticket use went back to the node when the vote was
  // refused: to its allowance, or (lapsed by then) towards Redis, which was still away, so it is
  // lost to that ticket only (the cap allows it); by the time Redis answers the ticket is
  // replaced, so neither can be seen on the wire.
  expect((await userVotes(redis, user.id)).count).toBe(before.count);
  await expectCommittedExactly([user]);
  expect(await queryCount(node.url, user.name)).toBe(1);
  await voteAcknowledged([user]);
  expect(await queryCount(node.url, user.name)).toBe(2);
});

it('acknowledges a vote committed to MySQL whose Redis settle failed, and query never serves the count it left stale', async () => {
  const [x, y] = takeUsers(2);
  // x has a cached count before the vote; y has none.
  await voteAcknowledged([x]);
  expect(await queryCount(node.url, x.name)).toBe(1);
  expect(await redis.hget(VotingKeys.userVotes(x.id), 'c')).toBe('1');
  expect(await redis.hget(VotingKeys.userVotes(y.id), 'c')).toBeNull();
  const healedBefore = await metric('vote.marksHealed');
  const groupsBefore = await metric('vote.commitGroups');

  // Hold the commit: MySQL gets the INSERT only when the proxy resumes.
  mysqlProxy.pause();
  let outcome: { reply: Reply<GraphqlBody<unknown>>; ms: number } | undefined;
  let ticket: string;
  try {
    ticket = await freshTicket();
    const pending = timed(() => gql(node.url, VOTE, { usernames: [x.name, y.name], ticket })).then(
      (r) => (outcome = r),
    );
    // The marks are done and their answers reached the node: its group commit has started (the
    // counter is bumped right before the INSERT is sent, and /metrics/json needs neither store).
    await waitUntil(
      async () => ((await metric('vote.commitGroups')) > groupsBefore ? true : undefined),
      5000,
      'the vote to reach its MySQL commit',
    );
    await expectOneVoteInFlight([x, y]);
    expect(outcome).toBeUndefined();

    // Redis goes away while the commit is held; then the commit goes through.
    await redisProxy.cut();
    await sleep(100);
    mysqlProxy.resume();
    await pending;
  } finally {
    mysqlProxy.resume();
  }
  let stateInOutage: VotingState;
  try {
    // The commit landed in MySQL: the vote counts, so the client is told 成功, promptly.
    expect(outcome!.reply.body.errors).toBeUndefined();
    expect(outcome!.reply.body.data).toEqual({ vote: '成功' });
    expect(outcome!.ms).toBeLessThan(PROMPT_MS + 1000);
    recordAcknowledged([x, y]);
    await expectCommittedExactly([x, y]);
    stateInOutage = await votingState([x, y]);
  } finally {
    await redisProxy.restore();
  }
  // Unsettled: the vote is still marked in flight on x and y, and the cached count of x was not
  // moved: it is now behind MySQL. (Its ticket use is spent in the node's memory: nothing in
  // Redis records it.)
  expect(stateInOutage.ticket).toBe(ticket!);
  const token = Object.keys(stateInOutage.users[x.name].marks);
  expect(token).toHaveLength(1);
  expect(stateInOutage.users[x.name]).toMatchObject({ count: 1, pending: 1 });
  expect(stateInOutage.users[y.name]).toMatchObject({ count: null, pending: 1 });
  expect(Object.keys(stateInOutage.users[y.name].marks)).toEqual(token);

  await waitReady();
  // The stale cached count is never served: from the first query on, both read MySQL.
  expect(await redis.hget(VotingKeys.userVotes(x.id), 'c')).toBe('1');
  expect(await queryCount(node.url, x.name)).toBe(2);
  expect(await queryCount(node.url, y.name)).toBe(1);
  // Meanwhile, another acknowledged vote for x after the outage.
  await voteAcknowledged([x]);

  // Until the vote's marks are healed, and after, every query answers exactly what MySQL holds.
  // Nothing heals them on its own: the first cache fill of each user after its mark is 30 s old
  // (ABANDONED_AFTER_MS) does, and these queries keep filling (never storing) until then.
  const seen: number[] = [];
  await waitUntil(
    async () => {
      const [countX, countY] = await Promise.all([
        queryCount(node.url, x.name),
        queryCount(node.url, y.name),
      ]);
      expect(countX).toBe(await committedOf(x));
      expect(countY).toBe(await committedOf(y));
      seen.push(countX);
      const inFlight = await votesInFlight(redis, idsOf([x, y]));
      return Object.keys(inFlight).length === 0 ? true : undefined;
    },
    HEAL_WITHIN_MS,
    'the next fills to heal the unsettled vote once its marks are 30 s old',
    250,
  );
  expect(new Set(seen)).toEqual(new Set([3]));
  // One mark healed on each of x and y; healing dropped x's stale count.
  expect((await metric('vote.marksHealed')) - healedBefore).toBe(2);

  // From now on the cache holds MySQL's count again, and new votes keep it exact.
  await expectCommittedExactly([x, y]);
  const mysqlX = await committedOf(x);
  expect(mysqlX).toBe(3);
  expect(await queryCount(node.url, x.name)).toBe(mysqlX);
  expect(await redis.hget(VotingKeys.userVotes(x.id), 'c')).toBe(String(mysqlX));
  expect(await queryCount(node.url, y.name)).toBe(1);
  expect(await redis.hget(VotingKeys.userVotes(y.id), 'c')).toBe('1');
  await voteAcknowledged([x, y]);
  expect(await queryCount(node.url, x.name)).toBe(mysqlX + 1);
  expect(await queryCount(node.url, y.name)).toBe(2);
  await expectCommittedExactly([x, y]);
}, 70_000);

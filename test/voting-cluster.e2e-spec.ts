import type { Connection } from 'mysql2/promise';
import { AppNode, TestEnv, createTestEnv, mysqlOf, startNode } from './utils/app-cluster';
import { runLimited } from './utils/ordering';
import { redisCommandStats, resetRedisCommandStats } from './utils/redis-stats';
import {
  ACK,
  LoadClient,
  TicketTally,
  VoteTally,
  Voter,
  casOn,
  committedCounts,
  committedTotal,
  leads,
  masterShares,
  queryOn,
  runVoteLoad,
  ticketWithin,
  voteInForce,
} from './utils/voting-load';

/**
 * Voting through several real nodes on a real 3-master Redis Cluster (the local one of
 * scripts/services.mjs), judged on the wire and in MySQL only: a vote load spreads its Redis
 * commands over the masters, none serving more than half; a ticket's cap holds to the vote across
 * three nodes under demand above it; a node killed with SIGKILL mid-ticket never lets a ticket go
 * over the cap, and the survivors alone bring later tickets to it exactly.
 */

const CLUSTER_NODES =
  process.env.REDIS_CLUSTER_NODES ??
  process.env.E2E_CLUSTER_NODES ??
  '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';
const USERS = 1200;
const CAP = 150;
const INTERVAL_MS = 3000;
/** The spread test's nodes: a cap far above its load, and a shorter interval. */
const SPREAD_ENV = { TICKET_MAX_USES: '1000000', TICKET_INTERVAL_MS: '2000' };
const SPREAD_VOTES = 3000;
const WARM_VOTES = 100;

let env: TestEnv;
let mysql: Connection;
let nodes: AppNode[] = [];
let pool: Voter[] = [];

beforeAll(async () => {
  env = await createTestEnv(
    'voting_cluster',
    25,
    { users: USERS + 1, foods: 2 },
    {
      REDIS_CLUSTER_NODES: CLUSTER_NODES,
      REDIS_DB: '0',
      TICKET_MAX_USES: String(CAP),
      TICKET_INTERVAL_MS: String(INTERVAL_MS),
      DB_POOL_SIZE: '16',
    },
  );
  mysql = await mysqlOf(env);
  pool = env.users.filter((u) => u.name !== 'root').slice(0, USERS);
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await mysql?.end();
});

/** Starts `count` nodes and waits until each answers `cas`. */
async function startNodes(count: number, extra: Record<string, string> = {}): Promise<void> {
  nodes = await Promise.all(Array.from({ length: count }, () => startNode(env, { env: extra })));
  for (const node of nodes) await ticketWithin(node.url, undefined, 10_000);
}

async function stopNodes(): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
}

describe('two nodes, a cap far above the load', () => {
  beforeAll(() => startNodes(2, SPREAD_ENV), 60_000);
  afterAll(() => stopNodes());

  /** 1 name on even votes, 3 on odd ones, over all the users. */
  const ballot = (i: number): Voter[] =>
    i % 2 === 0 ? [pool[(i * 7) % USERS]] : [0, 1, 2].map((k) => pool[(i * 3 + k) % USERS]);

  it('spreads a vote load over the masters, none serving over half; counts exact in MySQL and on both nodes', async () => {
    const urls = nodes.map((n) => n.url);
    const before = await committedCounts(mysql);
    const tally = new VoteTally();
    const inForce = new Map<string, string | undefined>();
    const castVote = (i: number) => () => voteInForce(tally, inForce, urls[i % 2], ballot(i));
    // A warm-up round, so that whatever the nodes keep per ticket is in place before the window.
    const votes = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => castVote(from + i));
    await runLimited(votes(0, WARM_VOTES), 16);
    await resetRedisCommandStats(env);
    const started = Date.now();
    await runLimited(votes(WARM_VOTES, SPREAD_VOTES), 32);
    const seconds = (Date.now() - started) / 1000;
    const served = await redisCommandStats(env);

    expect(tally.unexpected()).toEqual([]);
    expect(tally.outcomes.get(ACK)).toBeGreaterThanOrEqual(SPREAD_VOTES * 0.95);
    // MySQL holds exactly the acknowledged votes, user by user, and both nodes answer them.
    const after = await committedCounts(mysql);
    const delta = (u: Voter): number => (after.get(u.id) ?? 0) - (before.get(u.id) ?? 0);
    expect(
      pool.filter((u) => delta(u) !== (tally.perUser.get(u.id) ?? 0)).map((u) => u.name),
    ).toEqual([]);
    const answers = await runLimited(
      pool.flatMap((u) =>
        urls.map((url) => async () => ({
          user: u.name,
          url,
          query: await queryOn(url, u.name),
          mysql: after.get(u.id) ?? 0,
        })),
      ),
      32,
    );
    expect(answers.filter((a) => a.query !== a.mysql)).toEqual([]);

    const { total, busiest, lines } = masterShares(served);
    const measured = SPREAD_VOTES - WARM_VOTES;
    process.stdout.write(
      `[voting-cluster] ${measured} votes (1 or 3 names) in ${seconds.toFixed(1)} s: ` +
        `${(total / measured).toFixed(1)} Redis commands executed per vote (scripts' own and the ` +
        `nodes' background work included), by master: ${lines.join(', ')}\n`,
    );
    // Fails while every voting key shares one hash tag (one master serves the whole load).
    expect(served.size).toBe(3);
    expect({ busiestShare: busiest <= 0.5, masters: lines }).toEqual({
      busiestShare: true,
      masters: lines,
    });
  }, 60_000);
});

describe(`three nodes, TICKET_MAX_USES=${CAP}, demand above it`, () => {
  /** Per ticket, across this block's loads. */
  const tickets = new Map<string, TicketTally>();
  /** 1 to 3 names, over the first 300 users. */
  const ballot = (n: number): Voter[] =>
    Array.from({ length: 1 + (n % 3) }, (_, k) => pool[(n * 7 + k * 101) % 300]);
  /** Ten clients each on nodes 0 and 1; three that pause 30 ms after each ack on node 2. */
  const clientsOn = (route: (node: AppNode) => () => string): LoadClient[] => [
    ...Array.from({ length: 20 }, (_, i) => ({ route: route(nodes[i % 2]) })),
    ...Array.from({ length: 3 }, () => ({ route: route(nodes[2]), pauseMs: 30 })),
  ];
  const overCap = (): [string, number][] =>
    [...tickets].filter(([, t]) => t.acked > CAP).map(([id, t]) => [id, t.acked]);
  const summary = (list: TicketTally[]): string =>
    list.map((t) => `${t.acked}${t.exhausted > 0 ? '*' : ''}`).join(' ');

  beforeAll(async () => {
    await startNodes(3);
    // Only tickets these nodes issued: one in force before they started may carry older uses.
    await ticketWithin(nodes[0].url, await casOn(nodes[0].url), INTERVAL_MS * 3);
  }, 60_000);
  afterAll(() => stopNodes());

  it('acknowledges at most TICKET_MAX_USES votes per ticket, exactly that many for a used-up ticket', async () => {
    const before = await committedTotal(mysql);
    const tally = new VoteTally(tickets);
    const deadline = Date.now() + 20_000;
    const usedUp = (): TicketTally[] => [...tickets.values()].filter((t) => t.exhausted > 0);
    await runVoteLoad(
      tally,
      clientsOn((node) => () => node.url),
      ballot,
      () => Date.now() > deadline || usedUp().length >= 4,
    );
    process.stdout.write(
      `[voting-cluster] acks per ticket (* = refused TICKET_EXHAUSTED too): ${summary([...tickets.values()])}\n`,
    );

    expect(tally.unexpected()).toEqual([]);
    expect(overCap()).toEqual([]);
    expect(usedUp().length).toBeGreaterThanOrEqual(3);
    expect(usedUp().map((t) => t.acked)).toEqual(usedUp().map(() => CAP));
    for (const node of nodes)
      expect([...tickets.values()].some((t) => (t.ackedBy.get(node.url) ?? 0) > 0)).toBe(true);
    expect((await committedTotal(mysql)) - before).toBe(tally.ackedNames);
  }, 40_000);

  it('a node killed -9 mid-ticket: no ticket over the cap; the survivors bring later tickets to it exactly', async () => {
    const before = await committedTotal(mysql);
    const tally = new VoteTally(tickets);
    // A node that does not lead, so that rotations go on without a takeover.
    const victim = (await leads(nodes[1].url)) ? nodes[0] : nodes[1];
    const survivors = nodes.filter((n) => n !== victim);
    const started = Date.now();
    let killedAt = 0;
    let atKill: TicketTally | undefined;
    // Killed once it has acknowledged 5 votes of a ticket that is not half used (so it holds
    // whatever it keeps for that ticket), after a second of load.
    tally.onAck = (url, ticket) => {
      if (killedAt || url !== victim.url || Date.now() - started < 1000) return;
      if ((ticket.ackedBy.get(url) ?? 0) < 5 || ticket.acked > CAP / 2) return;
      victim.process.kill('SIGKILL');
      killedAt = Date.now();
      atKill = ticket;
    };
    let next = 0;
    const route = (node: AppNode) => () =>
      node !== victim || !killedAt ? node.url : survivors[next++ % survivors.length].url;
    /** Tickets first used 250 ms or more after the kill (none in force at the kill). */
    const later = (): TicketTally[] =>
      [...tickets.values()].filter((t) => killedAt && t.firstSeen >= killedAt + 250);
    const usedUpLater = (): TicketTally[] => later().filter((t) => t.exhausted > 0);
    const deadline = started + 30_000;
    await runVoteLoad(
      tally,
      clientsOn(route),
      ballot,
      () => Date.now() > deadline || usedUpLater().length >= 3,
    );
    await victim.stop('SIGKILL');
    process.stdout.write(
      `[voting-cluster] kill -9 ${killedAt ? `${killedAt - started} ms` : 'never'} into the load; ` +
        `acks per ticket (* = refused TICKET_EXHAUSTED too): at the kill ${atKill ? summary([atKill]) : '-'}, ` +
        `later ${summary(later())}; ${tally.unknownBy.get(victim.url) ?? 0} votes unanswered\n`,
    );

    expect(killedAt).toBeGreaterThan(0);
    expect(tally.unexpected(['UNKNOWN'])).toEqual([]);
    expect(survivors.map((n) => tally.unknownBy.get(n.url) ?? 0)).toEqual([0, 0]);
    expect(overCap()).toEqual([]);
    expect(usedUpLater().length).toBeGreaterThanOrEqual(2);
    expect(usedUpLater().map((t) => t.acked)).toEqual(usedUpLater().map(() => CAP));
    // Every acknowledged vote is in MySQL; of those unanswered, some may be.
    const added = (await committedTotal(mysql)) - before;
    expect(added).toBeGreaterThanOrEqual(tally.ackedNames);
    expect(added).toBeLessThanOrEqual(tally.ackedNames + tally.unknownNames);
  }, 50_000);
});

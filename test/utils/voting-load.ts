import type { Connection } from 'mysql2/promise';
import { metricsOf, request } from './http';
import { sleep } from './wait';

/**
 * Vote loads for the voting cluster suite, black-box: the GraphQL wire and MySQL's `vote_count`
 * only, nothing of the app's Redis keys or modules (test/utils/voting.ts reads those), so the same
 * suite judges the voting code before and after a rewrite of its internals.
 */

export interface Voter {
  id: number;
  name: string;
}

/** A vote's outcome: "成功", the error code it was answered with, or UNKNOWN (no answer came). */
export const UNKNOWN = 'UNKNOWN';
export const ACK = '成功';
/** The refusals the contract allows a vote with valid names: a ticket not in force, or used up. */
export const REFUSALS = ['TICKET_EXHAUSTED', 'TICKET_INVALID'];

const VOTE =
  'mutation Vote($usernames: [String!]!, $ticket: String!) { vote(usernames: $usernames, ticket: $ticket) }';
const QUERY = 'query Count($username: String!) { query(username: $username) }';

interface Answer<T> {
  data?: T | null;
  errors?: { extensions?: { code?: string } }[];
}

/** One vote on the wire; a connection that died (or never opened) before the answer: UNKNOWN. */
export async function voteOn(url: string, usernames: string[], ticket: string): Promise<string> {
  const reply = await request<Answer<{ vote: string }>>('POST', `${url}/graphql`, {
    body: { query: VOTE, variables: { usernames, ticket } },
    timeoutMs: 10_000,
  }).catch(() => undefined);
  if (!reply) return UNKNOWN;
  if (typeof reply.body === 'object' && reply.body?.data?.vote) return reply.body.data.vote;
  const code = typeof reply.body === 'object' ? reply.body?.errors?.[0]?.extensions?.code : null;
  return code ?? `HTTP ${reply.status}: ${reply.text.slice(0, 200)}`;
}

/** `cas` on one node; undefined when the node gives no ticket (down, or none issued yet). */
export async function casOn(url: string): Promise<string | undefined> {
  const reply = await request<Answer<{ cas: string }>>('POST', `${url}/graphql`, {
    body: { query: '{ cas }' },
    timeoutMs: 5000,
  }).catch(() => undefined);
  return typeof reply?.body === 'object' ? (reply.body?.data?.cas ?? undefined) : undefined;
}

export async function queryOn(url: string, username: string): Promise<number> {
  const reply = await request<Answer<{ query: number }>>('POST', `${url}/graphql`, {
    body: { query: QUERY, variables: { username } },
    timeoutMs: 10_000,
  });
  const count = reply.body?.data?.query;
  if (typeof count !== 'number') throw new Error(`query(${username}) on ${url}: ${reply.text}`);
  return count;
}

/** The ticket `url` answers other than `old` (any ticket when `old` is undefined), bounded. */
export async function ticketAfter(
  url: () => string,
  old: string | undefined,
  stop: () => boolean,
  pollMs = 25,
): Promise<string | undefined> {
  for (;;) {
    const ticket = await casOn(url());
    if (ticket !== undefined && ticket !== old) return ticket;
    if (stop()) return undefined;
    await sleep(pollMs);
  }
}

/** The ticket `url` answers other than `old` within `timeoutMs`; throws after. */
export async function ticketWithin(url: string, old: string | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const ticket = await ticketAfter(
    () => url,
    old,
    () => Date.now() > deadline,
  );
  if (ticket === undefined)
    throw new Error(`${url}: no ticket other than ${old} in ${timeoutMs} ms`);
  return ticket;
}

export { committedCounts } from './voting';

/** Σ votes over every user, as committed (a vote for n names counts n). */
export async function committedTotal(mysql: Connection): Promise<number> {
  const [rows] = await mysql.query('SELECT COALESCE(SUM(votes), 0) AS n FROM vote_count');
  return Number((rows as { n: string | number }[])[0].n);
}

/** What the load saw of one ticket: votes acknowledged (in all, and by node url), refusals. */
export interface TicketTally {
  acked: number;
  ackedBy: Map<string, number>;
  exhausted: number;
  /** When the load first used it (Date.now()). */
  firstSeen: number;
}

/** Every outcome of a load, per user, per ticket and per node. */
export class VoteTally {
  readonly outcomes = new Map<string, number>();
  readonly perUser = new Map<number, number>();
  /** Names in acknowledged votes (what MySQL's Σ votes must grow by), and in votes of UNKNOWN outcome. */
  ackedNames = 0;
  unknownNames = 0;
  readonly unknownBy = new Map<string, number>();
  /** Called after each acknowledged vote is recorded. */
  onAck?: (url: string, ticket: TicketTally) => void;

  /** `tickets` may be shared with another tally, so counts per ticket add up across loads. */
  constructor(readonly tickets = new Map<string, TicketTally>()) {}

  ticket(ticket: string): TicketTally {
    let tally = this.tickets.get(ticket);
    if (!tally) {
      tally = { acked: 0, ackedBy: new Map(), exhausted: 0, firstSeen: Date.now() };
      this.tickets.set(ticket, tally);
    }
    return tally;
  }

  record(url: string, ticket: string, voters: Voter[], result: string): void {
    this.outcomes.set(result, (this.outcomes.get(result) ?? 0) + 1);
    const tally = this.ticket(ticket);
    if (result === ACK) {
      tally.acked++;
      tally.ackedBy.set(url, (tally.ackedBy.get(url) ?? 0) + 1);
      this.ackedNames += voters.length;
      for (const v of voters) this.perUser.set(v.id, (this.perUser.get(v.id) ?? 0) + 1);
      this.onAck?.(url, tally);
    } else if (result === 'TICKET_EXHAUSTED') {
      tally.exhausted++;
    } else if (result === UNKNOWN) {
      this.unknownNames += voters.length;
      this.unknownBy.set(url, (this.unknownBy.get(url) ?? 0) + 1);
    }
  }

  /** Outcomes other than an acknowledgement, a contract refusal or one of `alsoAllowed`. */
  unexpected(alsoAllowed: string[] = []): [string, number][] {
    const allowed = new Set([ACK, ...REFUSALS, ...alsoAllowed]);
    return [...this.outcomes].filter(([result]) => !allowed.has(result));
  }
}

/**
 * A vote through `url` with the ticket last read there (`inForce`, shared by a load's votes), taken
 * again with a fresh `cas` while refused TICKET_INVALID, up to 5 times; every attempt recorded.
 */
export async function voteInForce(
  tally: VoteTally,
  inForce: Map<string, string | undefined>,
  url: string,
  voters: Voter[],
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!inForce.get(url)) inForce.set(url, await casOn(url));
    const ticket = inForce.get(url);
    if (ticket === undefined) continue;
    const names = voters.map((v) => v.name);
    const result = await voteOn(url, names, ticket);
    tally.record(url, ticket, voters, result);
    if (result !== 'TICKET_INVALID') return;
    if (inForce.get(url) === ticket) inForce.set(url, await casOn(url));
  }
}

/** Commands per master as `host:port n (share %)`, and the busiest master's share of them all. */
export function masterShares(served: Map<string, number>): {
  total: number;
  busiest: number;
  lines: string[];
} {
  const total = [...served.values()].reduce((a, b) => a + b, 0);
  const lines = [...served].map(
    ([master, n]) => `${master} ${n} (${((100 * n) / total).toFixed(0)} %)`,
  );
  return { total, busiest: Math.max(...served.values()) / total, lines };
}

/** One client of a load: votes through `route()` until `stop()`, pausing `pauseMs` after an ack. */
export interface LoadClient {
  route: () => string;
  pauseMs?: number;
}

/**
 * Runs the clients at once. Each votes with the ticket it read by `cas` from the node it votes
 * through, reads it again when refused TICKET_INVALID, and after TICKET_EXHAUSTED waits for the
 * next ticket (cas polled every 25 ms). `ballot(n)` names the voters of the load's n-th vote.
 */
export async function runVoteLoad(
  tally: VoteTally,
  clients: LoadClient[],
  ballot: (n: number) => Voter[],
  stop: () => boolean,
): Promise<void> {
  let n = 0;
  const client = async ({ route, pauseMs = 0 }: LoadClient): Promise<void> => {
    let ticket: string | undefined;
    while (!stop()) {
      ticket ??= await ticketAfter(route, undefined, stop);
      if (ticket === undefined) return;
      const url = route();
      const voters = ballot(n++);
      const result = await voteOn(
        url,
        voters.map((v) => v.name),
        ticket,
      );
      tally.record(url, ticket, voters, result);
      if (result === ACK) {
        if (pauseMs > 0) await sleep(pauseMs);
      } else if (result === 'TICKET_EXHAUSTED') {
        ticket = await ticketAfter(route, ticket, stop);
      } else {
        if (result === UNKNOWN) await sleep(10);
        ticket = undefined;
      }
    }
  };
  await Promise.all(clients.map(client));
}

/** Whether a node says (GET /metrics/json) that it leads; false when it cannot say. */
export async function leads(url: string): Promise<boolean> {
  const metrics = await metricsOf(url).catch(() => undefined);
  return metrics?.['leader.leading'] === true;
}

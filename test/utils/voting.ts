import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { VotingKeys } from '../../src/voting/voting-keys';
import { Reply, request } from './http';
import { sleep } from './wait';

/** Helpers of the voting suites: GraphQL calls on the wire, and what MySQL and Redis hold. */

export interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

export interface GraphqlBody<T> {
  data: T | null;
  errors?: GraphqlError[];
}

export function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  options: { newConnection?: boolean } = {},
): Promise<Reply<GraphqlBody<T>>> {
  return request<GraphqlBody<T>>('POST', `${url}/graphql`, {
    body: { query, variables },
    timeoutMs: 30_000,
    ...options,
  });
}

export const VOTE =
  'mutation Vote($usernames: [String!]!, $ticket: String!) { vote(usernames: $usernames, ticket: $ticket) }';
export const QUERY = 'query Count($username: String!) { query(username: $username) }';

/** The outcome of a vote as the contract defines it: "成功" or one error code. */
export type VoteResult = '成功' | string;

export async function vote(
  url: string,
  usernames: string[],
  ticket: string,
  options: { newConnection?: boolean } = {},
): Promise<VoteResult> {
  const reply = await gql<{ vote: string }>(url, VOTE, { usernames, ticket }, options);
  if (reply.status !== 200) throw new Error(`vote: HTTP ${reply.status} ${reply.text}`);
  if (reply.body.data?.vote) return reply.body.data.vote;
  const code = reply.body.errors?.[0]?.extensions?.code;
  if (!code) throw new Error(`vote: no error code in ${reply.text}`);
  return code;
}

export async function cas(url: string): Promise<string> {
  const reply = await gql<{ cas: string }>(url, '{ cas }');
  const ticket = reply.body.data?.cas;
  if (!ticket) throw new Error(`cas: ${reply.text}`);
  return ticket;
}

export async function queryCount(
  url: string,
  username: string,
  options: { newConnection?: boolean } = {},
): Promise<number> {
  const reply = await gql<{ query: number }>(url, QUERY, { username }, options);
  const count = reply.body.data?.query;
  if (typeof count !== 'number') throw new Error(`query(${username}): ${reply.text}`);
  return count;
}

/** user id -> votes, as committed. */
export async function committedCounts(mysql: Connection): Promise<Map<number, number>> {
  const [rows] = await mysql.query('SELECT user_id, votes FROM vote_count');
  return new Map(
    (rows as { user_id: number; votes: string | number }[]).map((r) => [
      Number(r.user_id),
      Number(r.votes),
    ]),
  );
}

/** One user's votes hash in Redis (VotingKeys.userVotes): cached count, version, marks in flight. */
export interface UserVotes {
  count: number | null;
  version: number;
  pending: number;
  /** vote token -> Redis time (ms) of its mark. */
  marks: Record<string, string>;
}

export async function userVotes(redis: Redis, userId: number): Promise<UserVotes> {
  const hash = await redis.hgetall(VotingKeys.userVotes(userId));
  const marks: Record<string, string> = {};
  for (const [field, value] of Object.entries(hash))
    if (field.startsWith('f:')) marks[field.slice(2)] = value;
  return {
    count: hash.c === undefined ? null : Number(hash.c),
    version: Number(hash.v ?? 0),
    pending: Number(hash.p ?? 0),
    marks,
  };
}

/** user id -> cached count in Redis, for the users given that have one. */
export async function cachedCounts(redis: Redis, userIds: number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const id of userIds) {
    const count = await redis.hget(VotingKeys.userVotes(id), 'c');
    if (count !== null) counts.set(id, Number(count));
  }
  return counts;
}

/** user id -> tokens of the votes marked in flight on that user, for the users given that have any. */
export async function votesInFlight(
  redis: Redis,
  userIds: number[],
): Promise<Record<number, string[]>> {
  const inFlight: Record<number, string[]> = {};
  for (const id of userIds) {
    const { pending, marks } = await userVotes(redis, id);
    if (pending !== 0 || Object.keys(marks).length > 0) inFlight[id] = Object.keys(marks);
  }
  return inFlight;
}

/** Waits until the ticket in force differs from `after` (polling Redis), and returns it. */
export async function nextTicket(
  redis: Redis,
  after: string | null,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ticket = await redis.get(VotingKeys.ticket);
    if (ticket !== null && ticket !== after) return ticket;
    if (Date.now() > deadline) throw new Error(`no new ticket within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** A rotation as the log in Redis records it (Redis time). */
export interface Rotation {
  at: number;
  epoch: number;
  by: string;
}

export async function rotationLog(redis: Redis): Promise<Rotation[]> {
  const entries = await redis.lrange(VotingKeys.ticketRotationLog, 0, -1);
  return entries
    .map((entry) => {
      const [at, epoch, by] = entry.split(' ');
      return { at: Number(at), epoch: Number(epoch), by };
    })
    .reverse();
}

/** Redis' own clock in ms, the one rotations are timed on. */
export async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export { sleep, waitUntil } from './wait';

import type Redis from 'ioredis';
import { VotingKeys } from '../src/voting/voting-keys';
import { runScript } from '../src/platform/redis/redis-scripts';
import { scriptRedis } from './utils/script-redis';
import { deletePrefixedKeys } from './utils/suite-redis';
import { VOTE_KEYS } from '../src/voting/vote/vote-keys';

/**
 * The end of a vote in Redis as the app's own scripts do it (src/voting/scripts/vote-take.lua,
 * vote-settle.lua, vote-cache-heal.lua), against a real Redis (logical database 12, or a Redis
 * Cluster) under the suite's key prefix: every outcome a group can be settled with, for a vote
 * still in flight and for one the heal job already ended (client: test/utils/script-redis.ts).
 */

const REDIS_DB = 12;
const TICKET = 'ticket-a';
let redis: Redis;
let tokens = 0;

beforeAll(async () => {
  redis = await scriptRedis(REDIS_DB, 'vote-settle-e2e');
});

afterAll(() => redis?.disconnect());

/** Only these keys live under the suite's key prefix. */
beforeEach(async () => {
  await deletePrefixedKeys(redis);
  await redis.set(VotingKeys.ticket, TICKET);
});

/** vote-take for `ids`: the use taken, the users marked in flight; returns the vote's token. */
async function take(ids: number[]): Promise<string> {
  const token = `t${++tokens}`;
  expect(
    await runScript(redis, 'vote-take', VOTE_KEYS.take, [token, TICKET, 1000, ...ids]),
  ).toEqual(['OK']);
  return token;
}

function settle(outcome: string, token: string, ids: number[]): Promise<number> {
  return runScript<number>(redis, 'vote-settle', VOTE_KEYS.settle, [
    outcome,
    token,
    TICKET,
    ids.length,
    ...ids,
  ]);
}

/** What a settle may change, for users 1 and 2. */
async function state() {
  return {
    counts: await redis.hgetall(VotingKeys.voteCounts),
    versions: await redis.hgetall(VotingKeys.voteVersions),
    pending: await redis.hgetall(VotingKeys.votePending),
    inflight: await redis.hlen(VotingKeys.voteInflight),
    uses: await redis.get(VotingKeys.ticketUses),
  };
}

describe('vote-settle.lua, vote in flight', () => {
  beforeEach(async () => {
    // User 1 has a cached count, user 2 none.
    await redis.hset(VotingKeys.voteCounts, '1', '5');
  });

  it('committed: adds the vote to the cached counts that exist; the use stays taken', async () => {
    const token = await take([1, 2]);
    expect(await settle('committed', token, [1, 2])).toBe(1);
    expect(await state()).toEqual({
      counts: { '1': '6' },
      versions: { '1': '2', '2': '2' },
      pending: {},
      inflight: 0,
      uses: '1',
    });
  });

  it('failed: nothing counts, the cached counts stay, the use is given back', async () => {
    const token = await take([1, 2]);
    expect(await settle('failed', token, [1, 2])).toBe(1);
    expect(await state()).toEqual({
      counts: { '1': '5' },
      versions: { '1': '2', '2': '2' },
      pending: {},
      inflight: 0,
      uses: '0',
    });
  });

  it('reverted: nothing counts, the use is given back and the cached counts are dropped', async () => {
    const token = await take([1, 2]);
    expect(await settle('reverted', token, [1, 2])).toBe(1);
    expect(await state()).toEqual({
      counts: {},
      versions: { '1': '2', '2': '2' },
      pending: {},
      inflight: 0,
      uses: '0',
    });
  });

  it('leaves the marks of another vote of the same user in flight', async () => {
    const first = await take([1]);
    await take([1]);
    await settle('reverted', first, [1]);
    expect((await state()).pending).toEqual({ '1': '1' });
    expect((await state()).inflight).toBe(1);
  });
});

describe('vote-settle.lua, vote the heal job already ended', () => {
  /** A vote taken, healed as abandoned, then a count cached from MySQL while it was not settled. */
  async function healedThenFilled(ids: number[]): Promise<string> {
    const token = await take(ids);
    expect(await runScript(redis, 'vote-cache-heal', VOTE_KEYS.heal, [0])).toBe(1);
    for (const id of ids) await redis.hset(VotingKeys.voteCounts, String(id), '7');
    return token;
  }

  it('reverted: drops the counts filled meanwhile (they may hold the taken-back votes)', async () => {
    const token = await healedThenFilled([1, 2]);
    const before = await state();
    expect(await settle('reverted', token, [1, 2])).toBe(0);
    expect(await state()).toEqual({
      ...before,
      counts: {},
      versions: { '1': '3', '2': '3' },
    });
  });

  it('committed: drops the counts filled meanwhile (they may miss the vote)', async () => {
    const token = await healedThenFilled([1]);
    expect(await settle('committed', token, [1])).toBe(0);
    expect((await state()).counts).toEqual({});
  });

  it('failed: changes nothing, as nothing was written', async () => {
    const token = await healedThenFilled([1]);
    const before = await state();
    expect(await settle('failed', token, [1])).toBe(0);
    expect(await state()).toEqual(before);
  });
});

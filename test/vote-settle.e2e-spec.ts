import type Redis from 'ioredis';
import { VotingKeys } from '../src/voting/voting-keys';
import { runScript } from '../src/platform/redis/redis-scripts';
import { scriptRedis } from './utils/script-redis';
import { deletePrefixedKeys } from './utils/suite-redis';

/**
 * A vote's steps on its users' hashes as the app's own scripts do them (src/voting/scripts/
 * vote-mark.lua, vote-settle.lua, vote-cache-read.lua, vote-cache-fill.lua, called with the keys
 * VotingScripts passes), against a real Redis (logical database 12, or a Redis Cluster) under the
 * suite's key prefix: every outcome a vote can be settled with, the cache a query reads and fills,
 * and a vote healed as abandoned that settles after all (client: test/utils/script-redis.ts).
 * The ticket's scripts: ticket-scripts.e2e-spec.ts.
 */

const REDIS_DB = 12;
/** Far above any test's run time: no mark is healed as abandoned. */
const NEVER = 3_600_000;
let redis: Redis;

const key = (user: number): string => VotingKeys.userVotes(user);
const mark = (user: number, token: string): Promise<number> =>
  runScript(redis, 'vote-mark', [key(user)], [token]);
const settle = (user: number, outcome: string, ...tokens: string[]): Promise<number> =>
  runScript(redis, 'vote-settle', [key(user)], [outcome, tokens.length, ...tokens]);
const read = (user: number): Promise<[string | null, string]> =>
  runScript(redis, 'vote-cache-read', [key(user)], []);
/** vote-cache-fill: [1 if stored else 0, marks healed]. */
const fill = (user: number, count: number, version: string, abandonMs = NEVER): Promise<number[]> =>
  runScript(redis, 'vote-cache-fill', [key(user)], [count, version, abandonMs]);
const votes = (user: number): Promise<Record<string, string>> => redis.hgetall(key(user));

/** A mark's field: the Redis time (ms) it was set. */
const markedAt = expect.stringMatching(/^\d{13}$/);

beforeAll(async () => {
  redis = await scriptRedis(REDIS_DB, 'vote-settle-e2e');
});

afterAll(() => redis?.disconnect());

beforeEach(() => deletePrefixedKeys(redis));

describe('vote-mark.lua', () => {
  it("marks a vote in flight on the user's own slot, once per token however often it is sent", async () => {
    expect(key(1)).toBe('vote:{u1}:votes');
    const [seconds, micros] = await redis.time();
    expect(await mark(1, 't1')).toBe(1);
    expect(await mark(1, 't1')).toBe(1);
    const hash = await votes(1);
    expect(hash).toEqual({ p: '1', v: '1', 'f:t1': markedAt });
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    expect(Number(hash['f:t1'])).toBeGreaterThanOrEqual(now);
    expect(Number(hash['f:t1'])).toBeLessThan(now + 5_000);
  });

  it('marks several votes of one user, each counted in flight and each bumping the version', async () => {
    await redis.hset(key(1), 'c', '5');
    for (const token of ['t1', 't2', 't3', 't2']) await mark(1, token);
    expect(await votes(1)).toEqual({
      c: '5',
      p: '3',
      v: '3',
      'f:t1': markedAt,
      'f:t2': markedAt,
      'f:t3': markedAt,
    });
    expect(await votes(2)).toEqual({});
  });
});

describe('vote-settle.lua', () => {
  beforeEach(async () => {
    // User 1 has a cached count, user 2 none; both have the votes t1 and t2 in flight.
    await redis.hset(key(1), 'c', '5');
    for (const user of [1, 2]) for (const token of ['t1', 't2']) await mark(user, token);
  });

  it('committed: adds the votes still marked to a cached count; p reaches 0 and goes', async () => {
    expect(await settle(1, 'committed', 't1', 't2')).toBe(2);
    expect(await votes(1)).toEqual({ c: '7', v: '3' });
  });

  it('committed: caches no count where none was cached', async () => {
    expect(await settle(2, 'committed', 't1', 't2')).toBe(2);
    expect(await votes(2)).toEqual({ v: '3' });
  });

  it("committed: leaves another vote's mark in flight", async () => {
    expect(await settle(1, 'committed', 't1')).toBe(1);
    expect(await votes(1)).toEqual({ c: '6', p: '1', v: '3', 'f:t2': markedAt });
  });

  it('committed with a token not marked (healed, or settled before): drops the cached count', async () => {
    expect(await settle(1, 'committed', 't1', 'unknown')).toBe(1);
    expect(await votes(1)).toEqual({ p: '1', v: '3', 'f:t2': markedAt });
    // A resent settle finds its marks gone: the count it would add to may already hold the vote.
    await redis.hset(key(2), 'c', '9');
    expect(await settle(2, 'committed', 't1', 't2')).toBe(2);
    expect(await votes(2)).toEqual({ c: '11', v: '3' });
    expect(await settle(2, 'committed', 't1', 't2')).toBe(0);
    expect(await votes(2)).toEqual({ v: '4' });
  });

  it('failed: the marks go, the cached count stays as it was', async () => {
    expect(await settle(1, 'failed', 't1', 't2')).toBe(2);
    expect(await votes(1)).toEqual({ c: '5', v: '3' });
  });

  it('reverted: the marks go and the cached count is dropped', async () => {
    expect(await settle(1, 'reverted', 't1', 't2')).toBe(2);
    expect(await votes(1)).toEqual({ v: '3' });
  });
});

describe('vote-cache-read.lua', () => {
  it('serves the cached count with the version when no vote is in flight', async () => {
    expect(await read(1)).toEqual([null, '0']);
    await redis.hset(key(1), 'c', '5', 'v', '4');
    expect(await read(1)).toEqual(['5', '4']);
  });

  it('serves no count while a vote is in flight, only the version', async () => {
    await redis.hset(key(1), 'c', '5');
    await mark(1, 't1');
    expect(await read(1)).toEqual([null, '1']);
    await settle(1, 'committed', 't1');
    expect(await read(1)).toEqual(['6', '2']);
  });
});

describe('vote-cache-fill.lua', () => {
  it('stores a count read at the version still current, with no vote in flight', async () => {
    const [, version] = await read(1);
    expect(await fill(1, 8, version)).toEqual([1, 0]);
    expect(await votes(1)).toEqual({ c: '8' });
    expect(await read(1)).toEqual(['8', '0']);
  });

  it('refuses a count read before a vote started or settled (the version moved)', async () => {
    const [, version] = await read(1);
    await mark(1, 't1');
    await settle(1, 'committed', 't1');
    expect(await fill(1, 8, version)).toEqual([0, 0]);
    expect(await votes(1)).toEqual({ v: '2' });
  });

  it('refuses any count while a vote is in flight, and heals no mark younger than the age', async () => {
    await mark(1, 't1');
    const [, version] = await read(1);
    expect(await fill(1, 8, version)).toEqual([0, 0]);
    expect(await votes(1)).toEqual({ p: '1', v: '1', 'f:t1': markedAt });
  });

  it('heals marks older than the abandon age: count dropped, version bumped; then a fill stores', async () => {
    await redis.hset(key(1), 'c', '5');
    await mark(1, 't1');
    await mark(1, 't2');
    expect(await fill(1, 8, '2', 0)).toEqual([0, 2]);
    expect(await votes(1)).toEqual({ v: '3' });
    const [count, version] = await read(1);
    expect([count, version]).toEqual([null, '3']);
    expect(await fill(1, 8, '2')).toEqual([0, 0]);
    expect(await fill(1, 8, version)).toEqual([1, 0]);
    expect(await votes(1)).toEqual({ c: '8', v: '3' });
  });

  it('heals only the marks older than the abandon age', async () => {
    await mark(1, 'old');
    await mark(1, 'young');
    const [seconds] = await redis.time();
    await redis.hset(key(1), 'f:old', String((Number(seconds) - 60) * 1000), 'c', '5');
    expect(await fill(1, 8, '2', 30_000)).toEqual([0, 1]);
    expect(await votes(1)).toEqual({ p: '1', v: '3', 'f:young': markedAt });
  });
});

describe('a vote healed as abandoned that settles after all', () => {
  /** t1 marked on a cached count of 5, healed, then a count of 5 cached from MySQL meanwhile. */
  beforeEach(async () => {
    await redis.hset(key(1), 'c', '5');
    await mark(1, 't1');
    expect(await fill(1, 5, '1', 0)).toEqual([0, 1]);
    const [, version] = await read(1);
    expect(await fill(1, 5, version)).toEqual([1, 0]);
    expect(await votes(1)).toEqual({ c: '5', v: '2' });
  });

  it('committed: drops the count filled meanwhile rather than adding to it (it may hold the vote)', async () => {
    expect(await settle(1, 'committed', 't1')).toBe(0);
    expect(await votes(1)).toEqual({ v: '3' });
    expect(await read(1)).toEqual([null, '3']);
  });

  it('reverted: drops the count filled meanwhile (it may hold the vote taken back)', async () => {
    expect(await settle(1, 'reverted', 't1')).toBe(0);
    expect(await votes(1)).toEqual({ v: '3' });
  });

  it('failed: keeps the count, as nothing was written', async () => {
    expect(await settle(1, 'failed', 't1')).toBe(0);
    expect(await votes(1)).toEqual({ c: '5', v: '3' });
  });
});

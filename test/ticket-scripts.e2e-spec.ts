import type Redis from 'ioredis';
import { runScript } from '../src/platform/redis/redis-scripts';
import { TICKET_USE_KEYS } from '../src/voting/ticket/ticket-keys';
import { VotingKeys } from '../src/voting/voting-keys';
import { scriptRedis } from './utils/script-redis';
import { deletePrefixedKeys } from './utils/suite-redis';

/**
 * The ticket's usage cap as the app's own scripts keep it (src/voting/scripts/ticket-allow.lua,
 * ticket-return.lua, ticket-peek.lua, called with the keys VotingScripts passes), against a real
 * Redis (logical database 26, or a Redis Cluster) under the suite's key prefix: allowances of the
 * ticket in force or of the previous one in its grace never add up to more than the cap, uses
 * given back never make the count negative, and "valid for" follows the rotation on Redis' clock.
 */

const REDIS_DB = 26;
const TICKET = 'ticket-a';
const PREVIOUS = 'ticket-old';
const INTERVAL_MS = 2000;
let redis: Redis;

type AllowReply = [status: string, granted?: number, validForMs?: number, inForce?: number];

const allow = (ticket: string, wanted: number, max = 10): Promise<AllowReply> =>
  runScript(redis, 'ticket-allow', TICKET_USE_KEYS, [ticket, wanted, max, INTERVAL_MS]);
const giveBack = (ticket: string, uses: number): Promise<number> =>
  runScript(redis, 'ticket-return', TICKET_USE_KEYS.slice(0, 4), [ticket, uses]);
const peek = (): Promise<[string | null, number]> =>
  runScript(redis, 'ticket-peek', [VotingKeys.ticket, VotingKeys.ticketRotation], [INTERVAL_MS]);
const uses = (): Promise<[string | null, string | null]> =>
  Promise.all([redis.get(VotingKeys.ticketUses), redis.get(VotingKeys.previousTicketUses)]);

/** Redis' clock (ms), the one the scripts read. */
async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** A rotation `agoMs` before now on Redis' clock, as ticket-rotate.lua records it. */
async function rotatedAgo(agoMs: number): Promise<void> {
  await redis.hset(VotingKeys.ticketRotation, 'at', (await redisNow()) - agoMs, 'epoch', 1);
}

/** The previous ticket with `used` uses, in a grace that ends in `graceMs`. */
async function inGrace(used: number, graceMs = 5000): Promise<void> {
  await redis.set(VotingKeys.previousTicket, PREVIOUS, 'PX', graceMs);
  await redis.set(VotingKeys.previousTicketUses, String(used), 'PX', graceMs);
}

beforeAll(async () => {
  redis = await scriptRedis(REDIS_DB, 'ticket-scripts-e2e');
});

afterAll(() => redis?.disconnect());

beforeEach(async () => {
  await deletePrefixedKeys(redis);
  await redis.set(VotingKeys.ticket, TICKET);
  await redis.set(VotingKeys.ticketUses, '0');
  await rotatedAgo(0);
});

describe('ticket-allow.lua', () => {
  it('grants what is wanted while uses are left, then what is left, then nothing', async () => {
    expect(await allow(TICKET, 7)).toEqual(['OK', 7, expect.any(Number), 1]);
    expect(await allow(TICKET, 0)).toEqual(['OK', 0, expect.any(Number), 1]);
    expect(await uses()).toEqual(['7', null]);
    expect(await allow(TICKET, 7)).toEqual(['OK', 3, expect.any(Number), 1]);
    expect(await allow(TICKET, 1)).toEqual(['TICKET_EXHAUSTED', 0, expect.any(Number), 1]);
    expect(await uses()).toEqual(['10', null]);
  });

  it('never grants more than the cap, however many nodes ask at once', async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, () => allow(TICKET, 7, 100)));
    const granted = replies.map(([, n]) => n ?? 0);
    expect(granted.reduce((sum, n) => sum + n, 0)).toBe(100);
    expect(Math.max(...granted)).toBeLessThanOrEqual(7);
    expect(replies.filter(([status]) => status === 'OK')).toHaveLength(15);
    expect(await uses()).toEqual(['100', null]);
    expect((await allow(TICKET, 1, 100))[0]).toBe('TICKET_EXHAUSTED');
    expect(await uses()).toEqual(['100', null]);
  });

  it('calls an unknown or empty ticket invalid, and takes nothing', async () => {
    expect(await allow('ticket-x', 1)).toEqual(['TICKET_INVALID']);
    expect(await allow('', 1)).toEqual(['TICKET_INVALID']);
    await redis.del(VotingKeys.ticket);
    expect(await allow(TICKET, 1)).toEqual(['TICKET_INVALID']);
    expect(await uses()).toEqual(['0', null]);
  });

  it("grants uses of the previous ticket within its grace, from that ticket's own count", async () => {
    await inGrace(8);
    const [status, granted, validFor, inForce] = await allow(PREVIOUS, 5);
    expect([status, granted, inForce]).toEqual(['OK', 2, 0]);
    expect(validFor).toBeGreaterThan(4000);
    expect(validFor).toBeLessThanOrEqual(5000);
    expect(await uses()).toEqual(['0', '10']);
    expect(await allow(PREVIOUS, 1)).toEqual(['TICKET_EXHAUSTED', 0, expect.any(Number), 0]);
    expect((await allow(TICKET, 10))[1]).toBe(10);
  });

  it('calls the previous ticket invalid once its grace is over', async () => {
    await inGrace(0, 300);
    expect((await allow(PREVIOUS, 1))[0]).toBe('OK');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await allow(PREVIOUS, 1)).toEqual(['TICKET_INVALID']);
    // The ticket kept without its count (the count's key expired first) is not valid either.
    await redis.set(VotingKeys.previousTicket, PREVIOUS, 'PX', 5000);
    expect(await allow(PREVIOUS, 1)).toEqual(['TICKET_INVALID']);
  });

  it('says the ticket in force stays valid until one interval after its rotation, 0 once past', async () => {
    await rotatedAgo(500);
    const [, , validFor] = await allow(TICKET, 1);
    expect(validFor).toBeGreaterThan(INTERVAL_MS - 500 - 1000);
    expect(validFor).toBeLessThanOrEqual(INTERVAL_MS - 500);
    await rotatedAgo(INTERVAL_MS + 1000);
    // A late rotation: the ticket is still the one in force, only not surely so for long.
    expect(await allow(TICKET, 1)).toEqual(['OK', 1, 0, 1]);
    expect(await allow(TICKET, 1, 2)).toEqual(['TICKET_EXHAUSTED', 0, 0, 1]);
    // No rotation recorded (a ticket written by hand): a whole interval from now.
    await redis.del(VotingKeys.ticketRotation);
    expect(await allow(TICKET, 0)).toEqual(['OK', 0, INTERVAL_MS, 1]);
  });
});

describe('ticket-return.lua', () => {
  it('takes back up to the uses granted, never below zero', async () => {
    await allow(TICKET, 7);
    expect(await giveBack(TICKET, 3)).toBe(3);
    expect(await uses()).toEqual(['4', null]);
    expect(await giveBack(TICKET, 10)).toBe(4);
    expect(await giveBack(TICKET, 1)).toBe(0);
    expect(await uses()).toEqual(['0', null]);
    expect(await allow(TICKET, 20)).toEqual(['OK', 10, expect.any(Number), 1]);
  });

  it('gives back to the previous ticket within its grace', async () => {
    await inGrace(6);
    expect(await giveBack(PREVIOUS, 2)).toBe(2);
    expect(await uses()).toEqual(['0', '4']);
  });

  it('takes nothing back for a dead or empty ticket: its uses died with it', async () => {
    await allow(TICKET, 5);
    expect(await giveBack('ticket-x', 3)).toBe(0);
    expect(await giveBack('', 3)).toBe(0);
    await inGrace(6, 300);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await giveBack(PREVIOUS, 3)).toBe(0);
    expect(await uses()).toEqual(['5', null]);
  });
});

describe('ticket-peek.lua', () => {
  it('tells the ticket in force and how long it surely stays so', async () => {
    await rotatedAgo(500);
    const [ticket, validFor] = await peek();
    expect(ticket).toBe(TICKET);
    expect(validFor).toBeGreaterThan(INTERVAL_MS - 500 - 1000);
    expect(validFor).toBeLessThanOrEqual(INTERVAL_MS - 500);
    await rotatedAgo(INTERVAL_MS + 1);
    expect(await peek()).toEqual([TICKET, 0]);
  });

  it('tells no ticket, valid for 0, before the first rotation', async () => {
    await deletePrefixedKeys(redis);
    expect(await peek()).toEqual([null, 0]);
  });
});

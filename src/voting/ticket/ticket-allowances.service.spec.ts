import { NodeIdentity } from '../../cluster/membership/node-identity';
import type { AppConfig } from '../../platform/config/app-config';
import { ErrorCode } from '../../platform/errors/error-codes';
import type { Metrics } from '../../platform/metrics/metrics.service';
import type { RedisClient } from '../../platform/redis/redis.constants';
import type { AllowReply, VotingScripts } from '../voting-scripts';
import { TicketAllowances } from './ticket-allowances.service';

// Nest 12 is ESM, which Jest's CommonJS runtime cannot load: its decorators and Logger, inert.
jest.mock('@nestjs/common', () => ({
  Inject: () => () => undefined,
  Injectable: () => () => undefined,
  Logger: class {
    warn = (): void => undefined;
  },
}));

const TICKET = 'ticket-a';

/** A ticket's pool of uses as ticket-allow.lua and ticket-return.lua keep it, in memory. */
class FakePool {
  used = 0;
  asks = 0;
  validForMs = 1000;
  failing = false;
  /** While set, answers wait for it (an ask away on the network). */
  gate: Promise<void> | undefined;

  async allow(ticket: string, wanted: number, maxUses: number): Promise<AllowReply> {
    this.asks++;
    await (this.gate ?? Promise.resolve());
    if (this.failing) throw new Error('connection lost');
    if (ticket !== TICKET) return ['TICKET_INVALID'];
    const left = maxUses - this.used;
    if (left <= 0) return ['TICKET_EXHAUSTED', 0, this.validForMs, 1];
    const granted = Math.min(wanted, left);
    this.used += granted;
    return ['OK', granted, this.validForMs, 1];
  }

  async giveBack(ticket: string, uses: number): Promise<number> {
    await Promise.resolve();
    const back = ticket === TICKET ? Math.min(uses, this.used) : 0;
    this.used -= back;
    return back;
  }
}

interface Subscriber {
  channel?: string;
  deliver?: (channel: string, message: string) => void;
}

/** Pub/sub between the nodes' clients (for their RecallChannels): one message, every subscriber. */
class Bus {
  private readonly subscribers = new Set<Subscriber>();

  client(): RedisClient {
    const subscribers = this.subscribers;
    const duplicate = () => {
      const self: Subscriber = {};
      return {
        on: (event: string, deliver: Subscriber['deliver']) => {
          if (event === 'message') self.deliver = deliver;
        },
        subscribe: async (to: string) => void subscribers.add(Object.assign(self, { channel: to })),
        disconnect: () => subscribers.delete(self),
      };
    };
    const publish = async (channel: string, message: string) => {
      await Promise.resolve();
      for (const s of subscribers) if (s.channel === channel) s.deliver?.(channel, message);
      return subscribers.size;
    };
    return { duplicate, publish } as unknown as RedisClient;
  }
}

const running: TicketAllowances[] = [];
/** Each node's "ticket.usesHeld" gauge: uses of valid tickets granted to it and not spent. */
const heldBy = new WeakMap<TicketAllowances, () => number>();
const held = (node: TicketAllowances): number => heldBy.get(node)!();

/** A started node taking uses of `pool` (capped at `maxUses`), hearing recalls on `bus`. */
function startNode(pool: FakePool, maxUses: number, bus = new Bus()): TicketAllowances {
  let gauge: () => number = () => NaN;
  const metrics = {
    declare: () => undefined,
    inc: () => undefined,
    gauge: (_name: string, read: () => number) => (gauge = read),
  } as unknown as Metrics;
  const config = { TICKET_MAX_USES: maxUses, TICKET_INTERVAL_MS: 2000 } as AppConfig;
  const scripts = pool as unknown as VotingScripts;
  const identity = new NodeIdentity(`node-${running.length}`);
  const node = new TicketAllowances(bus.client(), scripts, identity, config, metrics);
  heldBy.set(node, gauge);
  node.onModuleInit();
  running.push(node);
  return node;
}

/** How each of `takes` ended, in order: 'taken', or the code it was refused with. */
async function outcomes(takes: Promise<void>[]): Promise<string[]> {
  const settled = await Promise.allSettled(takes);
  return settled.map((s) => (s.status === 'fulfilled' ? 'taken' : s.reason.code));
}

const times = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.onApplicationShutdown()));
  jest.useRealTimers();
});

describe('TicketAllowances.take', () => {
  it('takes a use of a valid ticket, and refuses an unknown one TICKET_INVALID', async () => {
    const node = startNode(new FakePool(), 10);
    await expect(node.take(TICKET)).resolves.toBeUndefined();
    await expect(node.take('ticket-x')).rejects.toMatchObject({ code: ErrorCode.TICKET_INVALID });
  });

  it('refuses a ticket Redis called invalid from memory, without asking again', async () => {
    const pool = new FakePool();
    const node = startNode(pool, 10);
    const refused = times(3, () => ErrorCode.TICKET_INVALID);
    expect(await outcomes(times(3, () => node.take('ticket-x')))).toEqual(refused);
    await expect(node.take('ticket-x')).rejects.toMatchObject({ code: ErrorCode.TICKET_INVALID });
    expect(pool.asks).toBe(1);
  });

  it('answers SERVICE_UNAVAILABLE when the ask fails, and asks again for the next vote', async () => {
    const pool = new FakePool();
    const node = startNode(pool, 10);
    pool.failing = true;
    const refused = times(2, () => ErrorCode.SERVICE_UNAVAILABLE);
    expect(await outcomes(times(2, () => node.take(TICKET)))).toEqual(refused);
    pool.failing = false;
    await expect(node.take(TICKET)).resolves.toBeUndefined();
  });

  it('refuses TICKET_EXHAUSTED once the pool is dry, then at once for a while', async () => {
    const pool = new FakePool();
    const node = startNode(pool, 2);
    const expected = ['taken', 'taken', ErrorCode.TICKET_EXHAUSTED];
    expect(await outcomes(times(3, () => node.take(TICKET)))).toEqual(expected);
    const asks = pool.asks;
    await expect(node.take(TICKET)).rejects.toMatchObject({ code: ErrorCode.TICKET_EXHAUSTED });
    expect(pool.asks).toBe(asks);
  });

  it('lets the votes that come while an ask is away share the next one', async () => {
    const pool = new FakePool();
    const node = startNode(pool, 1000);
    let answer!: () => void;
    pool.gate = new Promise((resolve) => (answer = resolve));
    const takes = times(100, () => node.take(TICKET));
    await flush();
    expect(pool.asks).toBe(1);
    pool.gate = undefined;
    answer();
    expect(await outcomes(takes)).toEqual(times(100, () => 'taken'));
    expect(pool.asks).toBe(2);
    expect(pool.used).toBe(100);
  });
});

describe('TicketAllowances, uses held in memory', () => {
  it('serves votes from the uses held while the ticket is surely valid, asks again after', async () => {
    jest.useFakeTimers();
    const pool = new FakePool();
    const node = startNode(pool, 1000);
    await Promise.all(times(20, () => node.take(TICKET)));
    // A tick measures the vote rate: the next ask takes a chunk for the votes to come.
    await jest.advanceTimersByTimeAsync(250);
    await node.take(TICKET);
    const [asks, chunk] = [pool.asks, held(node)];
    expect(chunk).toBeGreaterThan(0);
    expect(node.inForce()).toBe(TICKET);
    await Promise.all(times(chunk, () => node.take(TICKET)));
    expect([pool.asks, held(node)]).toEqual([asks, 0]);
    await node.take(TICKET);
    expect(pool.asks).toBe(asks + 1);
    // Past the validity Redis told, nothing held is spent: the next vote asks again.
    await jest.advanceTimersByTimeAsync(pool.validForMs);
    expect([held(node), node.inForce()]).toEqual([0, undefined]);
    await node.take(TICKET);
    expect(pool.asks).toBe(asks + 2);
  });

  it('serves one more vote from a use given back within validity; after it, the pool has it', async () => {
    jest.useFakeTimers();
    const pool = new FakePool();
    const node = startNode(pool, 1);
    await node.take(TICKET);
    node.giveBack(TICKET);
    await node.take(TICKET);
    expect([pool.asks, pool.used]).toEqual([1, 1]);
    await jest.advanceTimersByTimeAsync(pool.validForMs);
    node.giveBack(TICKET);
    await jest.advanceTimersByTimeAsync(0);
    expect(pool.used).toBe(0);
    await node.take(TICKET);
    expect([pool.asks, pool.used]).toEqual([2, 1]);
  });

  it('gives back the uses it holds when the node stops', async () => {
    const pool = new FakePool();
    const node = startNode(pool, 5);
    await Promise.all(times(3, () => node.take(TICKET)));
    times(2, () => node.giveBack(TICKET));
    await node.onApplicationShutdown();
    expect(pool.used).toBe(1);
  });
});

describe('TicketAllowances, two nodes sharing one pool', () => {
  it('never lets more votes through than the cap, and lets all of it through', async () => {
    const [pool, bus] = [new FakePool(), new Bus()];
    const [a, b] = [startNode(pool, 10, bus), startNode(pool, 10, bus)];
    const takes = times(15, () => [a.take(TICKET), b.take(TICKET)]).flat();
    const ended = await outcomes(takes);
    expect(ended.filter((outcome) => outcome === 'taken')).toHaveLength(10);
    expect(new Set(ended)).toEqual(new Set(['taken', ErrorCode.TICKET_EXHAUSTED]));
    expect(pool.used).toBe(10);
  });

  it("recalls the other node's idle uses when the pool is dry, and takes them", async () => {
    const [pool, bus] = [new FakePool(), new Bus()];
    const [a, b] = [startNode(pool, 5, bus), startNode(pool, 5, bus)];
    await Promise.all(times(5, () => a.take(TICKET)));
    // Two of a's votes did not commit: a holds their uses idle, the pool has none left.
    times(2, () => a.giveBack(TICKET));
    expect([held(a), pool.used]).toEqual([2, 5]);
    const expected = ['taken', 'taken', ErrorCode.TICKET_EXHAUSTED];
    expect(await outcomes(times(3, () => b.take(TICKET)))).toEqual(expected);
    expect([held(a), held(b), pool.used]).toEqual([0, 0, 5]);
  });

  it('refuses while the other node holds idle uses if no recall reaches it', async () => {
    const pool = new FakePool();
    const [a, b] = [startNode(pool, 5), startNode(pool, 5)];
    await Promise.all(times(5, () => a.take(TICKET)));
    a.giveBack(TICKET);
    await expect(b.take(TICKET)).rejects.toMatchObject({ code: ErrorCode.TICKET_EXHAUSTED });
    expect(held(a)).toBe(1);
  });
});

import { RetryLater } from './retry-later';

describe('RetryLater', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A store that refuses until `answersFrom` (fake time, ms) and records each attempt. */
  function store(answersFrom: number) {
    const start = Date.now();
    const attempts: string[] = [];
    const done: string[] = [];
    return {
      attempts,
      done,
      attempt: async (item: string): Promise<void> => {
        attempts.push(item);
        if (Date.now() - start < answersFrom) throw new Error(`unreachable (${item})`);
        done.push(item);
      },
    };
  }

  it('attempts at once, retries every period until the store answers, then stops its timer', async () => {
    const s = store(1200);
    const givenUp: string[] = [];
    const retry = new RetryLater<string>({
      everyMs: 500,
      forMs: 10_000,
      attempt: s.attempt,
      onGiveUp: (i) => givenUp.push(i),
    });
    retry.add('a', 'a');
    await retry.run();
    expect(s.attempts).toEqual(['a']);
    expect(retry.size).toBe(1);
    await jest.advanceTimersByTimeAsync(500);
    expect(s.attempts).toEqual(['a', 'a']);
    await jest.advanceTimersByTimeAsync(1000);
    expect(s.done).toEqual(['a']);
    expect(retry.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    expect(givenUp).toEqual([]);
  });

  it('gives an item up, with its last error, once its time has run out', async () => {
    const s = store(Infinity);
    const givenUp: [string, string][] = [];
    const retry = new RetryLater<string>({
      everyMs: 500,
      forMs: 1000,
      attempt: s.attempt,
      onGiveUp: (item, error) => givenUp.push([item, (error as Error).message]),
    });
    retry.add('a', 'a');
    await jest.advanceTimersByTimeAsync(600);
    retry.add('b', 'b');
    await jest.advanceTimersByTimeAsync(500);
    // 'a' ran out at 1000 ms; 'b' (added at 600) still has until 1600.
    expect(givenUp).toEqual([['a', 'unreachable (a)']]);
    expect(retry.size).toBe(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(givenUp.map(([item]) => item)).toEqual(['a', 'b']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('gives an item added with its own time up after that time, and tells whether an item waits', async () => {
    const s = store(Infinity);
    const givenUp: string[] = [];
    const retry = new RetryLater<string>({
      everyMs: 500,
      forMs: 10_000,
      attempt: s.attempt,
      onGiveUp: (i) => givenUp.push(i),
    });
    retry.add('a', 'a', 700);
    retry.add('b', 'b');
    expect([retry.has('a'), retry.has('b'), retry.has('c')]).toEqual([true, true, false]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(givenUp).toEqual(['a']);
    expect([retry.has('a'), retry.has('b')]).toEqual([false, true]);
    retry.stop();
  });

  it('never runs two rounds at once: a slow attempt is not repeated while it is under way', async () => {
    let inFlight = 0;
    let most = 0;
    const retry = new RetryLater<string>({
      everyMs: 100,
      forMs: 10_000,
      attempt: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 350));
        inFlight--;
        throw new Error('still unreachable');
      },
      onGiveUp: () => undefined,
    });
    retry.add('a', 'a');
    await jest.advanceTimersByTimeAsync(2000);
    expect(most).toBe(1);
    expect(retry.stop()).toEqual(['a']);
  });
});

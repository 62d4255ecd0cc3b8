import { BatchWriter } from './batch-writer';

describe('BatchWriter', () => {
  it('writes items submitted in the same turn together, and later ones in the next write', async () => {
    const writes: number[][] = [];
    const writer = new BatchWriter<number>(async (items) => void writes.push([...items]), {
      maxBatch: 100,
      concurrency: 1,
    });
    await Promise.all([1, 2, 3].map((n) => writer.submit(n)));
    await writer.submit(4);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it('queues while a write is in flight and respects maxBatch', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writer = new BatchWriter<number>(
      async (items) => {
        writes.push([...items]);
        if (items[0] === 0) await gate;
      },
      { maxBatch: 2, concurrency: 1 },
    );
    const first = writer.submit(0);
    await new Promise((r) => setImmediate(r));
    const rest = [1, 2, 3, 4, 5].map((n) => writer.submit(n));
    expect(writer.pending).toBe(6);
    release();
    await Promise.all([first, ...rest]);
    expect(writes).toEqual([[0], [1, 2], [3, 4], [5]]);
    expect(writer.pending).toBe(0);
  });

  it('retries a failed batch item by item so only the bad item fails', async () => {
    const written: number[] = [];
    const writer = new BatchWriter<number>(
      async (items) => {
        if (items.includes(13)) throw new Error('duplicate 13');
        written.push(...items);
      },
      { maxBatch: 10, concurrency: 1 },
    );
    const results = await Promise.allSettled([11, 12, 13, 14].map((n) => writer.submit(n)));
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error('duplicate 13'));
    expect(written.sort()).toEqual([11, 12, 14]);
  });

  it('drain waits for everything queued and in flight', async () => {
    let done = 0;
    const writer = new BatchWriter<number>(
      async (items) => {
        await new Promise((r) => setTimeout(r, 5));
        done += items.length;
      },
      { maxBatch: 1, concurrency: 2 },
    );
    for (let i = 0; i < 5; i++) void writer.submit(i);
    await writer.drain();
    expect(done).toBe(5);
  });
});

describe('BatchWriter per-item outcomes', () => {
  it('rejects exactly the items a write reports as refused, resolves the rest', async () => {
    const writer = new BatchWriter<number>(
      async (items) => items.map((n) => (n % 2 ? new Error(`odd ${n}`) : undefined)),
      { maxBatch: 10, concurrency: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => writer.submit(n)));
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error('odd 3'));
  });
});

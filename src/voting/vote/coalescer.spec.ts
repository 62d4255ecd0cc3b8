import { Coalescer } from './coalescer';

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('gives one load to every caller of the same turn', async () => {
    const loads: string[] = [];
    const coalescer = new Coalescer(async (key: string) => {
      loads.push(key);
      return `${key}!`;
    });
    const results = await Promise.all(Array.from({ length: 1000 }, () => coalescer.get('a')));
    expect(new Set(results)).toEqual(new Set(['a!']));
    expect(loads).toEqual(['a']);
    expect(coalescer.joined).toBe(999);
  });

  it('never hands a caller a load that started before it arrived', async () => {
    const gates = [deferred<number>(), deferred<number>()];
    let started = 0;
    const coalescer = new Coalescer(() => gates[started++].promise);
    const early = coalescer.get('k');
    await tick();
    expect(started).toBe(1);
    // The first load is under way: these must not share it, and must wait for it to end.
    const late = [coalescer.get('k'), coalescer.get('k')];
    await tick();
    expect(started).toBe(1);
    gates[0].resolve(1);
    expect(await early).toBe(1);
    await tick();
    expect(started).toBe(2);
    gates[1].resolve(2);
    expect(await Promise.all(late)).toEqual([2, 2]);
  });

  it('keeps keys apart and passes a failure to that flight only', async () => {
    const coalescer = new Coalescer(async (key: string) => {
      if (key === 'bad') throw new Error('boom');
      return key.length;
    });
    const [good, bad] = await Promise.allSettled([coalescer.get('good'), coalescer.get('bad')]);
    expect(good).toEqual({ status: 'fulfilled', value: 4 });
    expect(bad).toEqual({ status: 'rejected', reason: new Error('boom') });
    await expect(coalescer.get('good')).resolves.toBe(4);
  });

  it('starts the next flight after a failed one', async () => {
    let calls = 0;
    const gate = deferred<number>();
    const coalescer = new Coalescer(() => (++calls === 1 ? gate.promise : Promise.resolve(7)));
    const first = coalescer.get('k');
    await tick();
    const second = coalescer.get('k');
    gate.reject(new Error('down'));
    await expect(first).rejects.toThrow('down');
    await expect(second).resolves.toBe(7);
  });
});

import { RESOLVE_FOR_MS, askUntilAnswered } from './ask-until-answered';

describe('askUntilAnswered', () => {
  it('asks again until MySQL answers, and returns the answer', async () => {
    let asked = 0;
    const answer = await askUntilAnswered(async () => {
      asked++;
      if (asked < 3) throw new Error('connect ECONNREFUSED');
      return true;
    });
    expect({ answer, asked }).toEqual({ answer: true, asked: 3 });
  });

  it('gives up after RESOLVE_FOR_MS with the last error', async () => {
    const started = Date.now();
    let asked = 0;
    await expect(
      askUntilAnswered(async () => {
        asked++;
        throw new Error(`refused ${asked}`);
      }),
    ).rejects.toThrow(/^refused \d+$/);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(RESOLVE_FOR_MS);
    expect(elapsed).toBeLessThan(RESOLVE_FOR_MS + 1000);
    expect(asked).toBeGreaterThan(2);
  });
});

import { RestartBackoff } from './restart-backoff';

describe('RestartBackoff', () => {
  it('replaces a worker that had been serving after the base delay', () => {
    const backoff = new RestartBackoff(500, 30_000);
    backoff.up(1);
    expect(backoff.down(1)).toBe(500);
  });

  it('doubles the delay for each worker in a row that died before listening, up to the cap', () => {
    const backoff = new RestartBackoff(500, 3000);
    expect([2, 3, 4, 5, 6].map((id) => backoff.down(id))).toEqual([500, 1000, 2000, 3000, 3000]);
  });

  it('starts over once a worker listens again', () => {
    const backoff = new RestartBackoff(500, 30_000);
    backoff.down(1);
    backoff.down(2);
    backoff.up(3);
    expect(backoff.down(4)).toBe(500);
  });
});

import { fillRandom, randomBase64url } from './random-pool';

describe('random pool', () => {
  it('never hands out the same bytes twice, across refills', () => {
    const seen = new Set<string>();
    // 3 × 4 KiB: crosses two refills, with a size that does not divide the pool.
    for (let i = 0; i < 1000; i++) seen.add(randomBase64url(12));
    expect(seen.size).toBe(1000);
  });

  it('fills exactly the requested range', () => {
    const target = Buffer.alloc(32, 0xaa);
    fillRandom(target, 8, 16);
    expect(target.subarray(0, 8).every((b) => b === 0xaa)).toBe(true);
    expect(target.subarray(24).every((b) => b === 0xaa)).toBe(true);
    // 16 random bytes all equal to 0xaa has probability 2^-128.
    expect(target.subarray(8, 24).every((b) => b === 0xaa)).toBe(false);
  });

  it('serves requests larger than the pool straight from the CSPRNG', () => {
    const big = Buffer.alloc(10_000);
    fillRandom(big, 0, big.length);
    expect(big.some((b) => b !== 0)).toBe(true);
  });

  it('gives base64url of the requested length', () => {
    expect(randomBase64url(12)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(randomBase64url(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

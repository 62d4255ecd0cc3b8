import { RateEstimator, parseLease, plannedChange, targetChunk, unsold } from './lease-math';

describe('lease arithmetic', () => {
  it('reclaims exactly leased minus sold, never a negative amount', () => {
    expect(unsold({ leased: 10, sold: 3 })).toBe(7);
    expect(unsold({ leased: 10, sold: 10 })).toBe(0);
    expect(unsold({ leased: 0, sold: 0 })).toBe(0);
    // Recalls shrink `leased`; a lease whose units were all recalled or sold holds nothing.
    expect(unsold({ leased: 2, sold: 5 })).toBe(0);
  });

  it('parses a lease hash of l:/s: fields and ignores anything else', () => {
    const lines = parseLease({ 'l:1': '10', 's:1': '4', 'l:7': '3', 'x:1': '9', 'l:oops': '5' });
    expect([...lines.entries()]).toEqual([
      [1, { leased: 10, sold: 4 }],
      [7, { leased: 3, sold: 0 }],
    ]);
  });

  it('sizes a chunk to recent sales over the horizon, with a floor, and nothing for idle items', () => {
    expect(targetChunk(0)).toBe(0);
    expect(targetChunk(0.1)).toBe(2);
    expect(targetChunk(10)).toBe(20);
    expect(targetChunk(10, { horizonS: 0.5, minChunk: 1, maxPoolShare: 1 })).toBe(5);
  });

  it('tops up below half the target, bounded by a fair share of the pool', () => {
    expect(plannedChange(0, 20, 1000)).toBe(20);
    expect(plannedChange(9, 20, 1000)).toBe(11);
    expect(plannedChange(10, 20, 1000)).toBe(0);
    expect(plannedChange(0, 20, 40)).toBe(10); // a quarter of what is left
    expect(plannedChange(0, 20, 3)).toBe(1);
    expect(plannedChange(0, 20, 0)).toBe(0);
  });

  it('gives back what it holds beyond twice the target, all of it when sales stopped', () => {
    expect(plannedChange(50, 20, 0)).toBe(-30);
    expect(plannedChange(40, 20, 0)).toBe(0);
    expect(plannedChange(7, 0, 100)).toBe(-7);
  });

  it('follows demand and decays to zero when sales stop', () => {
    const rates = new RateEstimator(0.5);
    rates.record(1, 10);
    expect(rates.tick(1).get(1)).toBe(5);
    rates.record(1, 10);
    expect(rates.tick(1).get(1)).toBe(7.5);
    let last = 7.5;
    for (let i = 0; i < 20; i++) last = rates.tick(1).get(1) ?? 0;
    expect(last).toBe(0);
  });
});

import { leaseDeadline, renewIntervalMs, safetyMarginMs } from './lease-timing';

describe('lease timing', () => {
  it('keeps a margin of 10% (at least 20 ms) below the TTL, counted from the send', () => {
    expect(safetyMarginMs(3000)).toBe(300);
    expect(safetyMarginMs(100)).toBe(20);
    expect(leaseDeadline(1000, 3000)).toBe(3700);
  });

  it('renews three times per TTL, so two renewals may fail before the lease expires', () => {
    expect(renewIntervalMs(3000)).toBe(1000);
    expect(renewIntervalMs(3000) * 2).toBeLessThan(3000 - safetyMarginMs(3000));
  });
});

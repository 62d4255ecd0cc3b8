import { isPlausibleTicket, newTicket } from './ticket-value';

describe('tickets', () => {
  it('are 128 random bits in base64url', () => {
    const tickets = new Set(Array.from({ length: 1000 }, newTicket));
    expect(tickets.size).toBe(1000);
    for (const ticket of tickets) {
      expect(ticket).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(ticket, 'base64url')).toHaveLength(16);
    }
  });

  it('refuses the empty string and absurd lengths without a lookup', () => {
    expect(isPlausibleTicket('')).toBe(false);
    expect(isPlausibleTicket('x'.repeat(65))).toBe(false);
    expect(isPlausibleTicket(newTicket())).toBe(true);
  });
});

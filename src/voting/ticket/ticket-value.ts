import { randomBytes } from 'node:crypto';

/** 128 random bits from the OS CSPRNG, base64url: 22 characters, unpredictable. */
export function newTicket(): string {
  return randomBytes(16).toString('base64url');
}

/** Longer than any ticket this service issues; refused without asking Redis. */
const MAX_TICKET_LENGTH = 64;

/** Whether `ticket` could be a ticket at all. The empty string never is (the seed's bug). */
export function isPlausibleTicket(ticket: string): boolean {
  return ticket.length > 0 && ticket.length <= MAX_TICKET_LENGTH;
}

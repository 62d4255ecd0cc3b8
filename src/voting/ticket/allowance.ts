/**
 * The pure parts of ticket allowances (TicketAllowances): what a node holds of a ticket, the chunk
 * it asks for, and the tickets it knows are dead.
 */

/** Uses of one ticket granted to this node. */
export interface Allowance {
  /** Granted and not spent: what goes back on a recall or a stop. */
  left: number;
  /** Until when (performance.now(), ms) the ticket is surely valid: Redis' "valid for" from the ask's send time. */
  validUntil: number;
  /** The ticket in force, not the previous one in its grace. */
  inForce: boolean;
}

/** Seconds of this node's votes one ask should cover: a ticket lives one interval (2 s). */
const CHUNK_HORIZON_S = 0.2;
/** Never ask for more at once: the rest of the pool stays for the other nodes. */
const MAX_CHUNK = 2000;

/** Uses to ask for beyond the votes waiting, at a vote rate of `ratePerS`. */
export function chunkFor(ratePerS: number): number {
  if (!(ratePerS > 0)) return 0;
  return Math.min(MAX_CHUNK, Math.ceil(ratePerS * CHUNK_HORIZON_S));
}

/**
 * Tickets Redis called invalid. A ticket never becomes valid again once it is not (a new one is
 * 128 random bits), so a vote with one is refused from memory. Bounded: the oldest go first.
 */
export class DeadTickets {
  private readonly tickets = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(ticket: string): boolean {
    return this.tickets.has(ticket);
  }

  add(ticket: string): void {
    this.tickets.add(ticket);
    if (this.tickets.size > this.capacity)
      this.tickets.delete(this.tickets.values().next().value as string);
  }
}

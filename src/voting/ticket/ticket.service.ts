import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';
import { ServiceUnavailableError } from '../../platform/errors/domain-error';
import { VotingScripts } from '../voting-scripts';
import { TicketAllowances } from './ticket-allowances.service';

@Injectable()
export class TicketService {
  /** The ticket `cas` last read and until when (performance.now(), ms) it surely stays in force. */
  private known: { ticket: string; until: number } | undefined;

  constructor(
    private readonly scripts: VotingScripts,
    private readonly allowances: TicketAllowances,
    private readonly config: AppConfig,
  ) {}

  /**
   * `cas`: the ticket in force. From memory while it surely stays in force (no rotation can come
   * sooner than one interval after the last, on Redis' clock: ticket-rotate.lua), so every node
   * answers the same; otherwise read from Redis. None exists only before the first rotation after
   * a start (under one interval).
   */
  async current(): Promise<string> {
    const now = performance.now();
    if (this.known && now < this.known.until) return this.known.ticket;
    const held = this.allowances.inForce();
    if (held) return held;
    let reply: [string | null, number];
    try {
      reply = await this.scripts.peekTicket(this.config.TICKET_INTERVAL_MS);
    } catch (error) {
      throw new ServiceUnavailableError(error);
    }
    const [ticket, validForMs] = reply;
    if (ticket === null) throw new ServiceUnavailableError('no ticket issued yet');
    this.known = { ticket, until: now + Number(validForMs) };
    return ticket;
  }
}

import { Injectable } from '@nestjs/common';
import type { LeaderTerm } from '../../cluster/leadership/leader-lease.service';
import { NodeIdentity } from '../../cluster/membership/node-identity';
import { AppConfig } from '../../platform/config/app-config';
import { VotingScripts } from '../voting-scripts';
import { newTicket } from './ticket-value';

export type RotationResult =
  { status: 'OK'; at: number } | { status: 'TOO_SOON'; waitMs: number } | { status: 'FENCED' };

/** Writes a new ticket through the fenced script (see ticket-rotate.lua). */
@Injectable()
export class TicketRotator {
  constructor(
    private readonly scripts: VotingScripts,
    private readonly identity: NodeIdentity,
    private readonly config: AppConfig,
  ) {}

  async rotate(term: LeaderTerm): Promise<RotationResult> {
    const [status, value] = await this.scripts.rotateTicket(
      term.owner,
      term.epoch,
      newTicket(),
      this.config.TICKET_INTERVAL_MS,
      this.config.TICKET_GRACE_MS,
      this.identity.id,
    );
    if (status === 'OK') return { status, at: Number(value) };
    if (status === 'TOO_SOON') return { status, waitMs: Number(value) };
    return { status: 'FENCED' };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { LeaderTerm } from '../../cluster/leadership/leader-lease.service';
import { NodeIdentity } from '../../cluster/membership/node-identity';
import { AppConfig } from '../../platform/config/app-config';
import { REDIS } from '../../platform/redis/redis.constants';
import { ClusterKeys } from '../../cluster/cluster-keys';
import { runScript } from '../../platform/redis/redis-scripts';
import { TICKET_STATE_KEYS } from './ticket-keys';
import { newTicket } from './ticket-value';

export type RotationResult =
  { status: 'OK'; at: number } | { status: 'TOO_SOON'; waitMs: number } | { status: 'FENCED' };

/** Writes a new ticket through the fenced script (see ticket-rotate.lua). */
@Injectable()
export class TicketRotator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly identity: NodeIdentity,
    private readonly config: AppConfig,
  ) {}

  async rotate(term: LeaderTerm): Promise<RotationResult> {
    const keys = [ClusterKeys.leader, ...TICKET_STATE_KEYS];
    const args = [
      term.owner,
      term.epoch,
      newTicket(),
      this.config.TICKET_INTERVAL_MS,
      this.config.TICKET_GRACE_MS,
      this.identity.id,
    ];
    const [status, value] = await runScript<[string, number?]>(
      this.redis,
      'ticket-rotate',
      keys,
      args,
    );
    if (status === 'OK') return { status, at: Number(value) };
    if (status === 'TOO_SOON') return { status, waitMs: Number(value) };
    return { status: 'FENCED' };
  }
}

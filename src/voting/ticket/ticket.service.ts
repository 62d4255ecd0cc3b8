import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { ServiceUnavailableError } from '../../platform/errors/domain-error';
import { REDIS } from '../../platform/redis/redis.constants';
import { VotingKeys } from '../voting-keys';

@Injectable()
export class TicketService {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /**
   * `cas`: the ticket in force, read from Redis on every call (one round trip) so every node
   * answers the same the moment a rotation lands; a per-node copy would lag by up to its refresh.
   * None exists only before the first rotation after a start or a dataset reset (under one interval).
   */
  async current(): Promise<string> {
    let ticket: string | null;
    try {
      ticket = await this.redis.get(VotingKeys.ticket);
    } catch (error) {
      throw new ServiceUnavailableError(error);
    }
    if (ticket === null) throw new ServiceUnavailableError('no ticket issued yet');
    return ticket;
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Metrics } from '../../platform/metrics/metrics.service';
import { REDIS } from '../../platform/redis/redis.constants';
import { runScript } from '../../platform/redis/redis-scripts';
import { LeaderJob, LeaderOnly } from '../../cluster/leadership/leader-job';
import { VOTE_KEYS } from './vote-keys';
import { ABANDONED_AFTER_MS } from './vote-ledger.service';

/** Leader-only: ends the votes whose node died between their Redis step and settling (vote-cache-heal.lua). */
@Injectable()
@LeaderOnly()
export class VoteCacheHealJob implements LeaderJob {
  readonly name = 'vote-cache-heal';
  readonly retryMs = 5000;
  private readonly logger = new Logger(VoteCacheHealJob.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly metrics: Metrics,
  ) {
    metrics.declare('vote.cacheHealed');
  }

  async run(): Promise<number> {
    const healed = Number(
      await runScript(this.redis, 'vote-cache-heal', VOTE_KEYS.heal, [ABANDONED_AFTER_MS]),
    );
    if (healed > 0) {
      this.metrics.inc('vote.cacheHealed', healed);
      this.logger.warn(
        `Ended ${healed} abandoned vote(s); their users' counts are reloaded from MySQL on the next query`,
      );
    }
    return ABANDONED_AFTER_MS / 6;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { Metrics } from '../../platform/metrics/metrics.service';
import { VotingScripts } from '../voting-scripts';
import { LeaderJob, LeaderOnly } from '../../cluster/leadership/leader-job';
import { ABANDONED_AFTER_MS } from './vote-ledger.service';

/** Leader-only: ends the votes whose node died between their Redis step and settling (vote-cache-heal.lua). */
@Injectable()
@LeaderOnly()
export class VoteCacheHealJob implements LeaderJob {
  readonly name = 'vote-cache-heal';
  readonly retryMs = 5000;
  private readonly logger = new Logger(VoteCacheHealJob.name);

  constructor(
    private readonly scripts: VotingScripts,
    private readonly metrics: Metrics,
  ) {
    metrics.declare('vote.cacheHealed');
  }

  async run(): Promise<number> {
    const healed = await this.scripts.heal(ABANDONED_AFTER_MS);
    if (healed > 0) {
      this.metrics.inc('vote.cacheHealed', healed);
      this.logger.warn(
        `Ended ${healed} abandoned vote(s); their users' counts are reloaded from MySQL on the next query`,
      );
    }
    return ABANDONED_AFTER_MS / 6;
  }
}

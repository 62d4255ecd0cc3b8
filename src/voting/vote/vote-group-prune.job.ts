import { Injectable, Logger } from '@nestjs/common';
import { LeaderJob, LeaderOnly } from '../../cluster/leadership/leader-job';
import { VoteCountRepository } from './vote-count.repository';

/** Group records older than this are forgotten: a commit's doubt is settled within seconds. */
const KEEP_S = 3600;
/** Most rows one step deletes, so a backlog is worked off without one long-running DELETE. */
const BATCH = 10_000;
const EVERY_MS = 60_000;

/** Leader-only: keeps `vote_group` (one row per group commit) from growing without bound. */
@Injectable()
@LeaderOnly()
export class VoteGroupPruneJob implements LeaderJob {
  readonly name = 'vote-group-prune';
  readonly retryMs = EVERY_MS;
  private readonly logger = new Logger(VoteGroupPruneJob.name);

  constructor(private readonly repository: VoteCountRepository) {}

  async run(): Promise<number> {
    const deleted = await this.repository.pruneGroups(KEEP_S, BATCH);
    if (deleted > 0) this.logger.debug(`Pruned ${deleted} vote group record(s)`);
    // A full batch means there may be more: go again soon.
    return deleted === BATCH ? 1000 : EVERY_MS;
  }
}

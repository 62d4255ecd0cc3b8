import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';
import { DatasetService } from '../../platform/dataset/dataset.service';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Metrics } from '../../platform/metrics/metrics.service';
import { UserDirectory } from '../../identity/user-directory.service';
import { TicketAllowances } from '../ticket/ticket-allowances.service';
import { isPlausibleTicket } from '../ticket/ticket-value';
import { TakenUse, VoteLedger } from './vote-ledger.service';
import { VoteCommitter } from './vote-committer.service';
import { checkUsernames } from './vote-input';

@Injectable()
export class VoteService {
  private readonly logger = new Logger(VoteService.name);

  constructor(
    private readonly users: UserDirectory,
    private readonly dataset: DatasetService,
    private readonly allowances: TicketAllowances,
    private readonly ledger: VoteLedger,
    private readonly committer: VoteCommitter,
    private readonly metrics: Metrics,
    private readonly config: AppConfig,
  ) {
    metrics.counters('votes_total', 'Votes answered, by result (failed: SERVICE_UNAVAILABLE)', {
      'vote.acknowledged': { result: 'acknowledged' },
      'vote.refused': { result: 'refused' },
      'vote.failed': { result: 'failed' },
    });
  }

  /**
   * Checks the input and the users (in memory), takes a ticket use (in memory, from this node's
   * allowance: TicketAllowances), marks the vote on its users' slots (one round trip), commits to
   * MySQL and settles in Redis (its share of one group commit and one group settle), and only then
   * returns. No lock: concurrent votes proceed in parallel. All or nothing: a refusal changes
   * nothing, and a vote that does not count gives its use back.
   */
  async vote(usernames: readonly string[], ticket: string): Promise<void> {
    let use: TakenUse;
    try {
      const userIds = this.resolveUsers(usernames);
      if (!isPlausibleTicket(ticket)) throw DomainError.of(ErrorCode.TICKET_INVALID);
      await this.allowances.take(ticket);
      use = await this.ledger.mark(ticket, userIds).catch((error: unknown) => {
        this.allowances.giveBack(ticket);
        throw error;
      });
    } catch (error) {
      this.metrics.inc(error instanceof ServiceUnavailableError ? 'vote.failed' : 'vote.refused');
      throw error;
    }
    const { outcome, settleError } = await this.committer.commit(use);
    if (settleError !== undefined) {
      // Only the cache missed the news: the vote is in MySQL, so it is acknowledged. Its users'
      // marks stay in Redis, and while they do every query for them reads MySQL
      // (vote-cache-read.lua); they are healed later, dropping their cached counts.
      this.logger.warn(
        `Vote ${outcome.status} in MySQL but settling it in Redis failed: ${(settleError as Error).message}`,
      );
    }
    if (outcome.status !== 'committed') {
      this.allowances.giveBack(ticket);
      this.metrics.inc('vote.failed');
      this.logger.error(
        `Vote commit ${outcome.status}: ${(outcome.error as Error)?.message ?? String(outcome.error)}`,
      );
      throw new ServiceUnavailableError(outcome.error);
    }
    this.metrics.inc('vote.acknowledged');
  }

  private resolveUsers(usernames: readonly string[]): number[] {
    checkUsernames(usernames, this.config.VOTE_MAX_USERNAMES);
    if (!this.dataset.current) throw new ServiceUnavailableError('no dataset loaded yet');
    return usernames.map((name) => {
      const user = this.users.findByName(name);
      if (!user) throw new DomainError(ErrorCode.USER_NOT_FOUND, `用户不存在: ${name}`);
      return user.id;
    });
  }
}

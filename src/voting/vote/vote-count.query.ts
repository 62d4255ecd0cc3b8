import { Injectable, Logger } from '@nestjs/common';
import { DatasetService } from '../../platform/dataset/dataset.service';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Metrics } from '../../platform/metrics/metrics.service';
import { VotingScripts } from '../voting-scripts';
import { UserDirectory } from '../../identity/user-directory.service';
import { Coalescer } from './coalescer';
import { VoteCountRepository } from './vote-count.repository';
import { checkUsername } from './vote-input';
import { ABANDONED_AFTER_MS } from './vote-ledger.service';

/**
 * `query(username)`: cache-aside over `vote_count`. A hit is one script call on the user's slot
 * (vote-cache-read.lua: the cached count, unless a vote for the user is in flight). A miss joins this node's flight for
 * the user (see Coalescer), which reads the user's version, then MySQL, then stores the count
 * only if no vote touched the user meanwhile (vote-cache-fill.lua), so a query racing a vote never
 * leaves an old count in the cache.
 */
@Injectable()
export class VoteCountQuery {
  private readonly logger = new Logger(VoteCountQuery.name);
  private readonly flights = new Coalescer<number, number>((userId) => this.load(userId));

  constructor(
    private readonly scripts: VotingScripts,
    private readonly repository: VoteCountRepository,
    private readonly users: UserDirectory,
    private readonly dataset: DatasetService,
    private readonly metrics: Metrics,
  ) {
    metrics.counters('vote_count_cache_total', '`query` answers by where the count came from', {
      'query.cacheHits': { result: 'hit' },
      'query.cacheMisses': { result: 'miss' },
    });
    metrics.declare(
      'query.mysqlReads',
      'query.cacheFills',
      'query.cacheFillsRefused',
      'vote.marksHealed',
    );
    metrics.gauge('query.coalesced', () => this.flights.joined);
  }

  async count(username: string): Promise<number> {
    checkUsername(username);
    if (!this.dataset.current) throw new ServiceUnavailableError('no dataset loaded yet');
    const user = this.users.findByName(username);
    if (!user) throw new DomainError(ErrorCode.USER_NOT_FOUND, `用户不存在: ${username}`);
    const [cached] = await this.redisCall(() => this.scripts.cachedCount(user.id));
    if (cached !== null) {
      this.metrics.inc('query.cacheHits');
      return Number(cached);
    }
    this.metrics.inc('query.cacheMisses');
    return this.flights.get(user.id);
  }

  /** One flight: everything read here happens after every caller of the flight arrived. */
  private async load(userId: number): Promise<number> {
    // The version must be read before MySQL is.
    const [cached, version] = await this.redisCall(() => this.scripts.cachedCount(userId));
    // The flight before this one may have filled the cache while this one gathered callers.
    if (cached !== null) return Number(cached);
    this.metrics.inc('query.mysqlReads');
    let count: number;
    try {
      count = await this.repository.countOf(userId);
    } catch (error) {
      throw new ServiceUnavailableError(error);
    }
    await this.fill(userId, count, version);
    return count;
  }

  private async fill(userId: number, count: number, version: string): Promise<void> {
    try {
      const [stored, healed] = await this.scripts.fillCount(
        userId,
        count,
        version,
        ABANDONED_AFTER_MS,
      );
      this.metrics.inc(stored === 1 ? 'query.cacheFills' : 'query.cacheFillsRefused');
      if (healed > 0) {
        this.metrics.inc('vote.marksHealed', healed);
        this.logger.warn(
          `Healed ${healed} abandoned vote mark(s) of user ${userId}: its count is read from MySQL again`,
        );
      }
    } catch (error) {
      // The count itself is fresh; only the cache stays cold.
      this.logger.warn(`Cache fill failed: ${(error as Error).message}`);
    }
  }

  private async redisCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new ServiceUnavailableError(error);
    }
  }
}

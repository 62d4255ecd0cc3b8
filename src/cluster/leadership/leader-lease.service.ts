import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { performance } from 'node:perf_hooks';
import { AppConfig } from '../../platform/config/app-config';
import { Metrics } from '../../platform/metrics/metrics.service';
import { REDIS } from '../../platform/redis/redis.constants';
import { ClusterKeys } from '../cluster-keys';
import { runScript } from '../../platform/redis/redis-scripts';
import { leaseDeadline, renewIntervalMs } from './lease-timing';
import { NodeIdentity } from '../membership/node-identity';

/** One tenure of this node as leader. `owner` is the lease's value; fenced writes compare it. */
export interface LeaderTerm {
  readonly owner: string;
  readonly epoch: number;
}

export type LeadershipListener = (term: LeaderTerm | undefined) => void;

/**
 * The leader lease: `SET NX PX` under an epoch that increases with every acquisition, renewed by
 * compare-and-extend every third of the TTL. This node leads only while the last renewal that
 * succeeded was *sent* less than TTL minus a margin ago on its own monotonic clock, so after a
 * pause (GC, SIGSTOP) it knows it lost the lease before it acts, and stops leading at once when a
 * renewal fails. Whatever it writes as leader is fenced by the owner token anyway.
 */
@Injectable()
export class LeaderLease implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LeaderLease.name);
  private readonly listeners: LeadershipListener[] = [];
  private readonly ttl: number;
  private term: LeaderTerm | undefined;
  private validUntil = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError = '';

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly identity: NodeIdentity,
    private readonly metrics: Metrics,
    config: AppConfig,
  ) {
    this.ttl = config.LEADER_LEASE_MS;
    metrics.declare('leader.acquired', 'leader.lost');
    metrics.gauge('leader.leading', () => this.current() !== undefined, {
      metric: 'leader',
      help: 'Workers of this node holding the leader lease (0 or 1; 1 in one node of the cluster)',
    });
    metrics.gauge('leader.epoch', () => this.current()?.epoch ?? null, {
      metric: 'leader_epoch',
      help: "The leader's fencing epoch if a worker of this node leads, else 0",
      aggregation: 'max',
    });
  }

  /** The term this node leads in right now, or undefined. Checks the lease deadline on each call. */
  current(): LeaderTerm | undefined {
    if (this.term && performance.now() >= this.validUntil)
      this.stepDown('the lease ran out before a renewal succeeded');
    return this.term;
  }

  /** Called with the new term when this node becomes leader, and with undefined when it stops. */
  onChange(listener: LeadershipListener): void {
    this.listeners.push(listener);
  }

  onApplicationBootstrap(): void {
    void this.tick();
  }

  /**
   * First thing on shutdown (the HTTP server still drains requests after this, for seconds with
   * slow clients): stop leading and hand the lease over at once instead of after a TTL.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.tickTimer);
    const term = this.term;
    this.stepDown('shutting down', 'log');
    if (!term) return;
    const release = runScript(this.redis, 'leader-release', [ClusterKeys.leader], [term.owner]);
    await release.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const sentAt = performance.now();
    try {
      const term = this.current();
      if (term) await this.renew(term, sentAt);
      else await this.acquire(sentAt);
      this.lastError = '';
    } catch (error) {
      // Redis unreachable: a leader cannot prove it still holds the lease, so it stops leading.
      this.stepDown(`renewal failed: ${(error as Error).message}`);
      this.warnOnce(`Leader lease: ${(error as Error).message}`);
    }
    if (this.stopped) return;
    const delay = Math.max(0, sentAt + renewIntervalMs(this.ttl) - performance.now());
    this.tickTimer = setTimeout(() => void this.tick(), delay);
  }

  private async acquire(sentAt: number): Promise<void> {
    const epoch = Number(
      await runScript(
        this.redis,
        'leader-acquire',
        [ClusterKeys.leader, ClusterKeys.leaderEpoch],
        [this.identity.id, this.ttl],
      ),
    );
    if (epoch <= 0) return;
    const owner = `${this.identity.id}:${epoch}`;
    if (this.stopped) {
      // Shutdown began while the request was in flight: hand it straight back.
      await runScript(this.redis, 'leader-release', [ClusterKeys.leader], [owner]);
      return;
    }
    this.term = { owner, epoch };
    this.extend(sentAt);
    this.metrics.inc('leader.acquired');
    this.logger.log(`Leading the cluster (epoch ${epoch})`);
    this.emit();
  }

  private async renew(term: LeaderTerm, sentAt: number): Promise<void> {
    const renewed = Number(
      await runScript(this.redis, 'leader-renew', [ClusterKeys.leader], [term.owner, this.ttl]),
    );
    // The term may have ended locally while the renewal was in flight: never revive it.
    if (this.term !== term) return;
    if (renewed === 1) this.extend(sentAt);
    else this.stepDown('another node holds the lease');
  }

  private extend(sentAt: number): void {
    this.validUntil = leaseDeadline(sentAt, this.ttl);
    clearTimeout(this.expiryTimer);
    // Notify listeners the moment the lease runs out, not at the next tick or call.
    this.expiryTimer = setTimeout(
      () => this.current(),
      Math.max(0, this.validUntil - performance.now()) + 1,
    );
  }

  private stepDown(reason: string, level: 'log' | 'warn' = 'warn'): void {
    if (!this.term) return;
    const { epoch } = this.term;
    this.term = undefined;
    this.validUntil = 0;
    clearTimeout(this.expiryTimer);
    this.metrics.inc('leader.lost');
    this.logger[level](`No longer leading (epoch ${epoch}): ${reason}`);
    this.emit();
  }

  private emit(): void {
    const term = this.term;
    for (const listener of this.listeners) {
      try {
        listener(term);
      } catch (error) {
        this.logger.error(`Leadership listener failed: ${(error as Error).stack ?? String(error)}`);
      }
    }
  }

  /** One warning per distinct error while Redis stays down, not one per tick. */
  private warnOnce(message: string): void {
    if (message !== this.lastError) this.logger.warn(message);
    this.lastError = message;
  }
}

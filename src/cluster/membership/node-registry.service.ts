import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { AppConfig } from '../../platform/config/app-config';
import { pipelineReplies, redisTimeMs } from '../../platform/redis/redis-errors';
import { REDIS } from '../../platform/redis/redis.constants';
import { runScript } from '../../platform/redis/redis-scripts';
import { ClusterKeys } from '../cluster-keys';
import { NodeIdentity } from './node-identity';

/**
 * How long past its expiry a node stays in the registry: long enough for every sweep that looks
 * for dead nodes' leftovers to see it dead (they are asked about the nodes they found, and a node
 * no longer listed counts as dead anyway).
 */
const FORGET_AFTER_TTLS = 100;

/**
 * Who is alive: every node writes its heartbeat (an expiry LEASE_TTL_MS ahead on Redis' clock)
 * before it serves and every third of the TTL after. A node whose expiry passed is dead for
 * everyone at once, whatever their own clocks say; whatever it left (pending orders, vote groups
 * in doubt) is then for others to settle, and its late writes are fenced where they land.
 */
@Injectable()
export class NodeRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NodeRegistry.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
    private readonly node: NodeIdentity,
  ) {}

  /** Joins before the node serves (bootstrap runs before listen); a failure here stops the boot. */
  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(
      () => {
        this.heartbeat().catch((error: Error) =>
          this.logger.warn(`Heartbeat failed (retried shortly): ${error.message}`),
        );
      },
      Math.floor(this.config.LEASE_TTL_MS / 3),
    );
    this.timer.unref();
  }

  /**
   * Stops beating but stays listed until the expiry: the node's last commits are still draining
   * now, and others must not settle its work before they land.
   */
  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Which of the given nodes are alive: listed with an expiry not yet passed on Redis' clock. */
  async alive(nodeIds: readonly string[]): Promise<Set<string>> {
    if (nodeIds.length === 0) return new Set();
    const [time, expiries] = pipelineReplies(
      await this.redis
        .pipeline()
        .time()
        .zmscore(ClusterKeys.nodes, ...nodeIds)
        .exec(),
    ) as [[string, string], (string | null)[]];
    const now = redisTimeMs(time);
    return new Set(nodeIds.filter((_, i) => Number(expiries[i] ?? -Infinity) >= now));
  }

  /** The nodes still listed whose heartbeat expired on Redis' clock (dead for everyone). */
  async dead(): Promise<string[]> {
    const now = redisTimeMs((await this.redis.time()) as unknown as [string, string]);
    return this.redis.zrangebyscore(ClusterKeys.nodes, '-inf', `(${now}`);
  }

  private async heartbeat(): Promise<void> {
    const ttl = this.config.LEASE_TTL_MS;
    await runScript(
      this.redis,
      'node-heartbeat',
      [ClusterKeys.nodes],
      [this.node.id, ttl, ttl * FORGET_AFTER_TTLS],
    );
  }
}

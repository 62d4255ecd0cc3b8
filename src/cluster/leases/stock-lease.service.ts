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
import { ClusterKeys } from '../cluster-keys';
import { runScript } from '../../platform/redis/redis-scripts';
import { NodeIdentity } from '../membership/node-identity';
import {
  LeaseLine,
  RateEstimator,
  parseLease,
  plannedChange,
  targetChunk,
  unsold,
} from './lease-math';

/** Keys of the stock lease protocol for one node, as the order script needs them. */
export interface LeaseKeys {
  registry: string;
  own: string;
}

/**
 * This node's side of the stock lease protocol (see design.md, "Stock leasing"). The node takes
 * stock from the shared pool in chunks sized to its recent sales, renews its lease every third of
 * LEASE_TTL_MS, gives back what it holds beyond need, and returns everything on shutdown. Every
 * sale is recorded in the lease (`s:<item>`) by the same Redis script that records the order, so
 * the unsold part of a dead node's lease (leased - sold) is known exactly and any node reclaims
 * it once the lease has expired on Redis' clock. It knows items and units, nothing of orders.
 */
@Injectable()
export class StockLeaseService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StockLeaseService.name);
  private readonly rates = new RateEstimator();
  private lines = new Map<number, LeaseLine>();
  private pool = new Map<number, number>();
  private lastRenewal = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly nodeId: string;
  private readonly reclaiming = new Set<string>();
  readonly keys: LeaseKeys;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
    node: NodeIdentity,
  ) {
    this.nodeId = node.id;
    this.keys = { registry: ClusterKeys.stockLeases, own: ClusterKeys.stockLease(node.id) };
  }

  get id(): string {
    return this.nodeId;
  }

  /** Registers before the node serves (bootstrap runs before listen), then renews on a timer. */
  async onApplicationBootstrap(): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => void this.renew(), Math.floor(this.config.LEASE_TTL_MS / 3));
    this.timer.unref();
  }

  /** On SIGTERM, after the HTTP server has drained: the lease goes back to the pool at once. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    try {
      const returned = await runScript<number>(
        this.redis,
        'lease-release',
        [ClusterKeys.stockPool, this.keys.registry, this.keys.own],
        [this.nodeId, 'own'],
      );
      this.logger.log(`Returned ${returned} leased units to the pool`);
    } catch (error) {
      this.logger.warn(
        `Could not return the lease (others reclaim it after LEASE_TTL_MS): ${(error as Error).message}`,
      );
    }
  }

  /** Feeds the chunk sizing: units of an item this node just sold. */
  recordSale(item: number, units: number): void {
    this.rates.record(item, units);
  }

  /** Lease keys of every node that holds one now, for the order script's last-units retry. */
  async allLeaseKeys(): Promise<string[]> {
    const nodes = await this.redis.zrange(this.keys.registry, 0, -1);
    return nodes.filter((n) => n !== this.nodeId).map((n) => ClusterKeys.stockLease(n));
  }

  /**
   * Units left per item across the cluster: the pool plus every lease's unsold part. Leases that
   * expired on Redis' clock are reclaimed on the way (by whichever node sees them first).
   */
  async available(): Promise<Map<number, number>> {
    const [time, pool, registry] = pipelineReplies(
      await this.redis
        .pipeline()
        .time()
        .hgetall(ClusterKeys.stockPool)
        .zrange(this.keys.registry, 0, -1, 'WITHSCORES')
        .exec(),
    ) as [[string, string], Record<string, string>, string[]];
    const now = redisTimeMs(time);
    const totals = new Map<number, number>();
    for (const [item, units] of Object.entries(pool))
      totals.set(Number(item), Math.max(0, Number(units)));
    const nodes: string[] = [];
    for (let i = 0; i < registry.length; i += 2) {
      nodes.push(registry[i]);
      if (Number(registry[i + 1]) < now && registry[i] !== this.nodeId)
        void this.reclaim(registry[i]);
    }
    const leases = nodes.length
      ? pipelineReplies(
          await nodes
            .reduce((p, n) => p.hgetall(ClusterKeys.stockLease(n)), this.redis.pipeline())
            .exec(),
        )
      : [];
    for (const hash of leases as Record<string, string>[]) {
      for (const [item, line] of parseLease(hash))
        totals.set(item, (totals.get(item) ?? 0) + unsold(line));
    }
    return totals;
  }

  /**
   * Units per item as of this node's last renewal: in the shared pool, and held unsold by this
   * node's lease. For metrics; the order script reads both in Redis, never from here.
   */
  holdings(): { pool: ReadonlyMap<number, number>; unsold: Map<number, number> } {
    // Every item the pool knows, 0 where this node holds none: a series per item always exists.
    const held = new Map<number, number>();
    for (const item of this.pool.keys()) held.set(item, 0);
    for (const [item, line] of this.lines) held.set(item, unsold(line));
    return { pool: this.pool, unsold: held };
  }

  /** Heartbeat: extend the lease and move units to or from the pool as recent sales call for. */
  async renew(): Promise<void> {
    if (this.stopped) return;
    const now = performance.now();
    const rates = this.rates.tick((now - this.lastRenewal) / 1000);
    this.lastRenewal = now;
    const changes: number[] = [];
    for (const item of new Set([...rates.keys(), ...this.lines.keys()])) {
      const change = plannedChange(
        unsold(this.lines.get(item) ?? { leased: 0, sold: 0 }),
        targetChunk(rates.get(item) ?? 0),
        this.pool.get(item) ?? 0,
      );
      if (change !== 0) changes.push(item, change);
    }
    try {
      const [lease, pool] = await runScript<[string[], string[]]>(
        this.redis,
        'lease-renew',
        [ClusterKeys.stockPool, this.keys.registry, this.keys.own],
        [this.nodeId, this.config.LEASE_TTL_MS, ...changes],
      );
      this.lines = parseLease(toRecord(lease));
      this.pool = new Map(
        Object.entries(toRecord(pool)).map(([item, units]) => [Number(item), Number(units)]),
      );
    } catch (error) {
      this.logger.warn(`Lease renewal failed: ${(error as Error).message}`);
    }
  }

  private async reclaim(nodeId: string): Promise<void> {
    if (this.reclaiming.has(nodeId)) return;
    this.reclaiming.add(nodeId);
    try {
      const returned = await runScript<number>(
        this.redis,
        'lease-release',
        [ClusterKeys.stockPool, this.keys.registry, ClusterKeys.stockLease(nodeId)],
        [nodeId, 'expired'],
      );
      if (returned >= 0)
        this.logger.warn(
          `Reclaimed the expired lease of ${nodeId}: ${returned} units back in the pool`,
        );
    } catch (error) {
      this.logger.warn(
        `Reclaiming the lease of ${nodeId} failed (retried on the next refresh): ${(error as Error).message}`,
      );
    } finally {
      this.reclaiming.delete(nodeId);
    }
  }
}

function toRecord(flat: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) record[flat[i]] = flat[i + 1];
  return record;
}

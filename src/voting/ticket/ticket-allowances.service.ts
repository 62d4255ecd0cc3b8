import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateEstimator } from '../../cluster/leases/lease-math';
import { RecallChannel } from '../../cluster/leases/recall-channel';
import { NodeIdentity } from '../../cluster/membership/node-identity';
import { AppConfig } from '../../platform/config/app-config';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Metrics } from '../../platform/metrics/metrics.service';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { VotingKeys } from '../voting-keys';
import { VotingScripts } from '../voting-scripts';
import { Allowance, DeadTickets, chunkFor } from './allowance';

/** Waits between asks while other nodes answer a recall (the last uses of a ticket). */
const RECALL_WAITS_MS = [5, 20, 50, 100];
/** After a ticket came back dry from every recall round, how long votes are refused at once. */
const DRY_FOR_MS = 50;
const TICK_MS = 250;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * This node's allowances of ticket uses (docs/design.md, "Ticket allowances"): the usage cap of a
 * ticket is a pool on the ticket's slot from which nodes take uses in chunks sized to their recent
 * votes (ticket-allow.lua), and spend them in memory. A vote whose ticket this node holds uses of,
 * within the time Redis said the ticket surely stays valid, costs no round trip; otherwise the
 * votes waiting for a ticket share one ask. A node out of uses when the pool is dry recalls the
 * uses other nodes hold idle. Allowances die with their ticket: a crashed node's unspent uses are
 * lost to its ticket only, which the cap allows (never one over, and the next ticket is whole).
 */
@Injectable()
export class TicketAllowances implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TicketAllowances.name);
  private readonly held = new Map<string, Allowance>();
  private readonly queued = new Map<string, Waiter[]>();
  private readonly asking = new Set<string>();
  private readonly dryUntil = new Map<string, number>();
  private readonly dead = new DeadTickets(1000);
  private readonly rate = new RateEstimator();
  private readonly recalls: RecallChannel;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    private readonly scripts: VotingScripts,
    private readonly identity: NodeIdentity,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.recalls = new RecallChannel(redis, 'ticket uses');
    metrics.declare('ticket.allowanceAsks', 'ticket.recallsSent', 'ticket.usesGivenBack');
    metrics.gauge('ticket.usesHeld', () => this.usesHeld(), {
      metric: 'ticket_uses_held',
      help: 'Uses of valid tickets granted to this node and not spent',
    });
  }

  onModuleInit(): void {
    this.recalls.onRecall((ticket) => void this.giveBackAll(ticket));
    this.recalls.listen(VotingKeys.recallChannel, this.identity.id);
    this.timer = setInterval(() => this.tick(), TICK_MS).unref();
  }

  /** On SIGTERM, after the HTTP server let its requests finish: unspent uses go back. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.recalls.close();
    await Promise.all([...this.held.keys()].map((ticket) => this.giveBackAll(ticket)));
  }

  /** The ticket in force as this node knows it, while that knowledge is sure to hold. */
  inForce(): string | undefined {
    const now = performance.now();
    for (const [ticket, allowance] of this.held)
      if (allowance.inForce && now < allowance.validUntil) return ticket;
    return undefined;
  }

  /** Takes one use of `ticket`, or throws TICKET_INVALID / TICKET_EXHAUSTED / SERVICE_UNAVAILABLE. */
  take(ticket: string): Promise<void> {
    this.rate.record(0, 1);
    if (this.spend(ticket)) return Promise.resolve();
    if (this.dead.has(ticket)) return Promise.reject(DomainError.of(ErrorCode.TICKET_INVALID));
    if ((this.dryUntil.get(ticket) ?? 0) > performance.now())
      return Promise.reject(DomainError.of(ErrorCode.TICKET_EXHAUSTED));
    return new Promise((resolve, reject) => {
      const waiters = this.queued.get(ticket) ?? [];
      waiters.push({ resolve, reject });
      this.queued.set(ticket, waiters);
      if (!this.asking.has(ticket)) void this.askFor(ticket);
    });
  }

  /** A vote that took a use and did not count (its commit failed): the use is not consumed. */
  giveBack(ticket: string): void {
    const allowance = this.held.get(ticket);
    if (allowance && performance.now() < allowance.validUntil) allowance.left++;
    else void this.returnUses(ticket, 1);
  }

  private spend(ticket: string): boolean {
    const allowance = this.held.get(ticket);
    if (!allowance || allowance.left <= 0 || performance.now() >= allowance.validUntil)
      return false;
    allowance.left--;
    return true;
  }

  /**
   * Asks for the votes queued on `ticket` until none is left: each round serves what memory holds,
   * then asks once for the rest plus a chunk for the votes to come. A dry pool starts the recall
   * rounds; after the last one the votes still waiting are refused TICKET_EXHAUSTED.
   */
  private async askFor(ticket: string): Promise<void> {
    this.asking.add(ticket);
    try {
      for (let round = 0; ;) {
        const waiters = (this.queued.get(ticket) ?? []).filter((waiter) => {
          if (!this.spend(ticket)) return true;
          waiter.resolve();
          return false;
        });
        this.queued.delete(ticket);
        if (waiters.length === 0) return;
        const outcome = await this.ask(ticket, waiters);
        const waiting = [...waiters, ...(this.queued.get(ticket) ?? [])];
        this.queued.set(ticket, waiting);
        if (outcome === 'served') continue;
        if (outcome === 'dry' && round < RECALL_WAITS_MS.length) {
          // The other nodes give back what they hold idle, then the waiters ask again.
          this.metrics.inc('ticket.recallsSent');
          this.recalls.ask([ticket]);
          await sleep(RECALL_WAITS_MS[round++]);
          continue;
        }
        if (outcome === 'dry') this.dryUntil.set(ticket, performance.now() + DRY_FOR_MS);
        const error = outcome === 'dry' ? DomainError.of(ErrorCode.TICKET_EXHAUSTED) : outcome;
        this.queued.delete(ticket);
        for (const waiter of waiting) waiter.reject(error);
        return;
      }
    } finally {
      this.asking.delete(ticket);
    }
  }

  /**
   * One ask for `waiters` plus a chunk for the votes to come. Resolves those it can (they leave
   * the array) and says how it went: 'served' (ask again for any left), 'dry' (the pool had
   * nothing left), or the error to refuse the waiters with.
   */
  private async ask(ticket: string, waiters: Waiter[]): Promise<'served' | 'dry' | Error> {
    const wanted = waiters.length + chunkFor(this.rate.rate(0));
    const sentAt = performance.now();
    this.metrics.inc('ticket.allowanceAsks');
    let reply;
    try {
      reply = await this.scripts.allow(
        ticket,
        wanted,
        this.config.TICKET_MAX_USES,
        this.config.TICKET_INTERVAL_MS,
      );
    } catch (error) {
      return new ServiceUnavailableError(error);
    }
    if (reply[0] === 'TICKET_INVALID') {
      this.held.delete(ticket);
      this.dead.add(ticket);
      return DomainError.of(ErrorCode.TICKET_INVALID);
    }
    const [status, granted, validForMs, inForce] = reply;
    const allowance = this.held.get(ticket) ?? { left: 0, validUntil: 0, inForce: false };
    // Redis still counts what this node held unspent: it stays this node's to spend.
    allowance.left += Number(granted);
    allowance.validUntil = sentAt + Number(validForMs);
    allowance.inForce = Number(inForce) === 1;
    this.held.set(ticket, allowance);
    // The waiters asked before Redis confirmed the ticket, so they may spend even when its sure
    // validity is already over (a late rotation); later votes may not.
    while (waiters.length > 0 && allowance.left > 0) {
      allowance.left--;
      waiters.shift()!.resolve();
    }
    if (performance.now() >= allowance.validUntil) void this.giveBackAll(ticket);
    return status === 'TICKET_EXHAUSTED' || Number(granted) === 0 ? 'dry' : 'served';
  }

  /** Gives back every unspent use of `ticket` held here (a recall, a stop, a lapsed validity). */
  private async giveBackAll(ticket: string): Promise<void> {
    const allowance = this.held.get(ticket);
    if (!allowance || allowance.left <= 0) return;
    const uses = allowance.left;
    allowance.left = 0;
    await this.returnUses(ticket, uses);
  }

  private async returnUses(ticket: string, uses: number): Promise<void> {
    try {
      this.metrics.inc('ticket.usesGivenBack', await this.scripts.giveBack(ticket, uses));
    } catch (error) {
      // Lost to this ticket only: its cap is never exceeded, and the next ticket is whole.
      this.logger.warn(
        `Could not give back ${uses} use(s) of a ticket: ${(error as Error).message}`,
      );
    }
  }

  /** Follows the vote rate; drops what lapsed; gives back what a slowed node holds idle. */
  private tick(): void {
    const rate = this.rate.tick(TICK_MS / 1000).get(0) ?? 0;
    const now = performance.now();
    for (const [ticket, allowance] of this.held) {
      if (now >= allowance.validUntil + this.config.TICKET_INTERVAL_MS) {
        // Usually dead by now; if a late rotation still has it in force, its uses go back.
        this.held.delete(ticket);
        if (allowance.left > 0) void this.returnUses(ticket, allowance.left);
      } else if (now < allowance.validUntil && allowance.left > 2 * chunkFor(rate) + 1) {
        const excess = allowance.left - chunkFor(rate);
        allowance.left -= excess;
        void this.returnUses(ticket, excess);
      }
    }
    for (const [ticket, until] of this.dryUntil) if (until <= now) this.dryUntil.delete(ticket);
  }

  private usesHeld(): number {
    const now = performance.now();
    let uses = 0;
    for (const allowance of this.held.values())
      if (now < allowance.validUntil) uses += allowance.left;
    return uses;
  }
}

import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { LeaderLease, LeaderTerm } from './leader-lease.service';
import { Metrics } from '../../platform/metrics/metrics.service';
import { LeaderJob, LeaderOnly } from './leader-job';

/**
 * Runs every registered job on the leader only: jobs start when this node gains the lease and
 * stop the moment it loses it. Each job decides its own next delay (a ticket rotation aligns to
 * the previous one), and a job never overlaps itself. A job that outlives its term cannot do harm
 * either: its writes are fenced by the term it was given.
 */
@Injectable()
export class LeaderScheduler implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LeaderScheduler.name);
  private readonly jobs: LeaderJob[] = [];
  private readonly timers = new Map<LeaderJob, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly lease: LeaderLease,
    private readonly metrics: Metrics,
    private readonly discovery: DiscoveryService,
  ) {
    // Subscribed in the constructor: the lease is acquired at bootstrap, after every job registered.
    lease.onChange((term) => (term ? this.startAll(term) : this.stopAll()));
  }

  /** Registers every provider marked {@link LeaderOnly}, before the lease is first taken. */
  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: LeaderOnly.KEY })) {
      if (wrapper.instance) this.register(wrapper.instance as LeaderJob);
    }
  }

  register(job: LeaderJob): void {
    this.jobs.push(job);
    this.metrics.declare(`scheduler.${job.name}.runs`, `scheduler.${job.name}.failures`);
    const term = this.lease.current();
    if (term) this.schedule(job, term, 0);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.stopAll();
  }

  private startAll(term: LeaderTerm): void {
    this.stopAll();
    for (const job of this.jobs) this.schedule(job, term, 0);
  }

  private stopAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(job: LeaderJob, term: LeaderTerm, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(job));
    const timer = setTimeout(() => {
      this.timers.delete(job);
      void this.runOnce(job, term);
    }, delayMs);
    this.timers.set(job, timer);
  }

  private async runOnce(job: LeaderJob, term: LeaderTerm): Promise<void> {
    // Checked right before running: a paused ex-leader's timers fire late, after the lease ran out.
    if (this.lease.current()?.epoch !== term.epoch) return;
    let next: number;
    try {
      next = await job.run(term);
      this.metrics.inc(`scheduler.${job.name}.runs`);
    } catch (error) {
      this.metrics.inc(`scheduler.${job.name}.failures`);
      this.logger.warn(`Job ${job.name} failed: ${(error as Error).message}`);
      next = job.retryMs;
    }
    // A new term restarts its jobs itself (startAll); this chain ends with its own term.
    if (this.lease.current()?.epoch === term.epoch && !this.timers.has(job))
      this.schedule(job, term, next);
  }
}

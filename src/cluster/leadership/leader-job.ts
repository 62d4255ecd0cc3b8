import { DiscoveryService } from '@nestjs/core';
import type { LeaderTerm } from './leader-lease.service';

/** A periodic task that must run on one node of the cluster at a time: the leader. */
export interface LeaderJob {
  readonly name: string;
  /**
   * One step, run only while this node leads in `term`; pass `term` on to any fenced write.
   * Resolves to the delay (ms) until the next step. A throw is logged and retried after `retryMs`.
   */
  run(term: LeaderTerm): Promise<number>;
  readonly retryMs: number;
}

/**
 * Marks a provider as a {@link LeaderJob}: the scheduler finds every one through Nest's discovery
 * at start-up, so a module declares a job by listing it among its providers, nothing more.
 */
export const LeaderOnly = DiscoveryService.createDecorator<void>();

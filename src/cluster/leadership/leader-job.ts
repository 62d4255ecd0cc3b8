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

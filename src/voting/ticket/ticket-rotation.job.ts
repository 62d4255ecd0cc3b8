import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { LeaderTerm } from '../../cluster/leadership/leader-lease.service';
import { AppConfig } from '../../platform/config/app-config';
import { Metrics } from '../../platform/metrics/metrics.service';
import { LeaderJob, LeaderOnly } from '../../cluster/leadership/leader-job';
import { TicketRotator } from './ticket-rotator.service';

/**
 * Rotates the ticket once per interval on the leader. The script measures the interval on
 * Redis' clock: a new leader rotates at once if the last rotation is an interval old, or waits
 * out the rest of it; a timer that fires a little early just gets the few ms left to wait.
 */
@Injectable()
@LeaderOnly()
export class TicketRotationJob implements LeaderJob {
  readonly name = 'ticket-rotation';
  readonly retryMs: number;

  constructor(
    private readonly rotator: TicketRotator,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.retryMs = Math.max(50, Math.floor(config.TICKET_INTERVAL_MS / 10));
    metrics.counters('ticket_rotations_total', 'Rotations the leader attempted, by outcome', {
      'ticket.rotations': { outcome: 'rotated' },
      'ticket.rotationsEarly': { outcome: 'too_soon' },
      'ticket.rotationsFenced': { outcome: 'fenced' },
    });
  }

  async run(term: LeaderTerm): Promise<number> {
    const sentAt = performance.now();
    const result = await this.rotator.rotate(term);
    switch (result.status) {
      case 'OK':
        this.metrics.inc('ticket.rotations');
        return Math.max(0, sentAt + this.config.TICKET_INTERVAL_MS - performance.now());
      case 'TOO_SOON':
        this.metrics.inc('ticket.rotationsEarly');
        return result.waitMs + 1;
      case 'FENCED':
        // Deposed: the lease notices on its next renewal and stops this job.
        this.metrics.inc('ticket.rotationsFenced');
        return this.retryMs;
    }
  }
}

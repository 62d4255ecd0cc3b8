import { Module } from '@nestjs/common';
import { Metrics } from '../platform/metrics/metrics.service';
import { LeaderLease } from './leadership/leader-lease.service';
import { NodeIdentity } from './membership/node-identity';
import { StockLeaseService } from './leases/stock-lease.service';

/** Cluster membership: this node's identity, the leader lease and stock leases. Knows nothing of features. */
@Module({
  providers: [
    {
      provide: NodeIdentity,
      inject: [Metrics],
      useFactory: (metrics: Metrics) => {
        const identity = NodeIdentity.create();
        metrics.gauge('node.id', () => identity.id, false);
        return identity;
      },
    },
    LeaderLease,
    StockLeaseService,
  ],
  exports: [NodeIdentity, LeaderLease, StockLeaseService],
})
export class ClusterModule {}

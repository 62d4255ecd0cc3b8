import { Module } from '@nestjs/common';
import { Metrics } from '../platform/metrics/metrics.service';
import { LeaderLease } from './leadership/leader-lease.service';
import { NodeIdentity } from './membership/node-identity';
import { NodeRegistry } from './membership/node-registry.service';
import { StockLeaseService } from './leases/stock-lease.service';

/**
 * Cluster mechanisms: this node's identity, the registry of live nodes, the leader lease and stock
 * leases. Knows nothing of features.
 */
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
    NodeRegistry,
    LeaderLease,
    StockLeaseService,
  ],
  exports: [NodeIdentity, NodeRegistry, LeaderLease, StockLeaseService],
})
export class ClusterModule {}

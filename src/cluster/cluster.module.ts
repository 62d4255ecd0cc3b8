import { Module } from '@nestjs/common';
import { Metrics } from '../platform/metrics/metrics.service';
import { LeaderLease } from './leadership/leader-lease.service';
import { NodeIdentity } from './membership/node-identity';
import { InDoubtRegistry } from './in-doubt/in-doubt-registry';
import { NodeRegistry } from './membership/node-registry.service';

/**
 * Cluster mechanisms: this node's identity, the registry of live nodes, the leader lease and the
 * registry of operations in doubt (the arithmetic of leases of units is in ./leases). Knows nothing
 * of features.
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
    InDoubtRegistry,
  ],
  exports: [NodeIdentity, NodeRegistry, LeaderLease, InDoubtRegistry],
})
export class ClusterModule {}

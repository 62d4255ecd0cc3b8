import { InitialSchema1763700000000 } from './1763700000000-initial-schema';
import { OrderVoid1763800000000 } from './1763800000000-order-void';
import { VoteGroup1763900000000 } from './1763900000000-vote-group';
import { OrderLease1764000000000 } from './1764000000000-order-lease';

/** Every migration, oldest first. Listed explicitly so the build needs no glob at run time. */
export const MIGRATIONS = [
  InitialSchema1763700000000,
  OrderVoid1763800000000,
  VoteGroup1763900000000,
  OrderLease1764000000000,
];

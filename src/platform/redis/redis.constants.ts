import type { Cluster, Redis } from 'ioredis';

/** Injection token of the shared ioredis client. */
export const REDIS = Symbol('REDIS');

/**
 * The app's Redis client: a single server's (`Redis`) or Redis Cluster's (`Cluster`). Both speak
 * the same commands; every key a script or a MULTI touches shares one hash slot, so either runs it.
 */
export type RedisClient = Redis | Cluster;

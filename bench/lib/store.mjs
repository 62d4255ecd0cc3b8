// The bench's direct view of its own MySQL database and Redis logical database: audits read the
// system of record here, and baseline L's table is reset here.
import Redis, { Cluster } from 'ioredis';
import mysql from 'mysql2/promise';

/** Baseline L's table (created by bench/baselines/lock-vote-server.mjs). */
export const LOCK_VOTE_TABLE = 'bench_lock_vote';

export async function openStore(env) {
  const db = await mysql.createConnection({
    host: env.DB_HOST,
    port: Number(env.DB_PORT),
    user: env.DB_USER,
    password: env.DB_PASS,
    database: env.DB_NAME,
  });
  // With --redis-cluster, the cluster the app runs on, for its masters' command counts.
  const redis = env.REDIS_CLUSTER_NODES
    ? new Cluster(
        env.REDIS_CLUSTER_NODES.split(',').map((node) => {
          const [host, port] = node.split(':');
          return { host, port: Number(port) };
        }),
        { lazyConnect: true, scaleReads: 'master' },
      )
    : new Redis({
        host: env.REDIS_HOST,
        port: Number(env.REDIS_PORT),
        db: Number(env.REDIS_DB),
        lazyConnect: true,
      });
  await redis.connect();
  return {
    db,
    redis,
    cluster: env.REDIS_CLUSTER_NODES ? redis : undefined,
    async rows(sql, params) {
      const [rows] = await db.query(sql, params);
      return rows;
    },
    /** Server-wide count of SELECT statements (MySQL reads), for the cold-burst check. */
    async selects() {
      const [rows] = await db.query("SHOW GLOBAL STATUS LIKE 'Com_select'");
      return Number(rows[0]?.Value ?? NaN);
    },
    async resetLockVotes() {
      await db.query(`TRUNCATE TABLE ${LOCK_VOTE_TABLE}`);
    },
    async close() {
      await db.end().catch(() => undefined);
      redis.disconnect();
    },
  };
}

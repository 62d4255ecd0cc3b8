// Baseline L: the first seed's vote design (seeds/000_*.txt), on the same Redis and MySQL and
// with the app's process layout, answering the same GraphQL requests as the app (`vote`, `cas`)
// so that one wrk script drives both. Per vote, as the seed does:
//   every 100 ms (first try after 100 ms) try to take ONE global Redis lock (SET NX PX, go-zero's
//   default 500 ms expiry), give up after 1 s with "未能获取锁，已超时"; holding it, read the
//   ticket (mismatch: "ticket 失效"), upsert the counts in MySQL, delete each name's cache key,
//   release the lock (compare-and-delete), answer "成功".
// The primary rotates the ticket every 2 s with a 2 s expiry (the seed's dcron job).
// Env: APP_PORT, WORKERS, DB_HOST/PORT/USER/PASS/NAME, REDIS_HOST/PORT/DB.
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { forkWorkers } from './cluster.mjs';

const TABLE = 'bench_lock_vote'; // the bench resets and audits it (bench/lib/store.mjs)
const TICKET_KEY = 'benchL:ticket';
const LOCK_KEY = 'benchL:lock';
const cacheKey = (name) => `benchL:vote:${name}`;
const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

const env = process.env;
const workers = Number(env.WORKERS ?? 1);
const redis = () =>
  new Redis({
    host: env.REDIS_HOST ?? '127.0.0.1',
    port: Number(env.REDIS_PORT ?? 6379),
    db: Number(env.REDIS_DB ?? 0),
  });

const dbOptions = () => ({
  host: env.DB_HOST ?? '127.0.0.1',
  port: Number(env.DB_PORT ?? 3306),
  user: env.DB_USER ?? 'eleme',
  password: env.DB_PASS ?? 'eleme',
  database: env.DB_NAME,
});

function rotateTickets() {
  const client = redis();
  const rotate = () => client.set(TICKET_KEY, randomUUID(), 'EX', 2).catch(() => undefined);
  rotate();
  setInterval(rotate, 2000);
}

async function serve() {
  const client = redis();
  const db = mysql.createPool({ ...dbOptions(), connectionLimit: 8 });

  async function vote(usernames, ticket) {
    const token = randomUUID();
    const deadline = Date.now() + 1000;
    for (;;) {
      await sleep(100);
      if (Date.now() >= deadline) return '未能获取锁，已超时';
      if ((await client.set(LOCK_KEY, token, 'PX', 500, 'NX')) !== 'OK') continue;
      try {
        if (ticket !== (await client.get(TICKET_KEY))) return 'ticket 失效';
        const rows = usernames.map(() => '(?, 1)').join(', ');
        await db.query(
          `INSERT INTO ${TABLE} (name, votes) VALUES ${rows} ON DUPLICATE KEY UPDATE votes = votes + 1`,
          usernames,
        );
        for (const name of usernames) await client.del(cacheKey(name));
        return '成功';
      } finally {
        await client.eval(RELEASE, 1, LOCK_KEY, token);
      }
    }
  }

  const app = Fastify({ logger: false });
  app.post('/graphql', async (request) => {
    const { query = '', variables = {} } = request.body ?? {};
    if (query.includes('vote(')) {
      return {
        data: {
          vote: await vote(
            variables.u ?? variables.usernames ?? [],
            variables.t ?? variables.ticket,
          ),
        },
      };
    }
    if (query.includes('cas')) return { data: { cas: (await client.get(TICKET_KEY)) ?? '' } };
    return {
      errors: [{ message: 'only vote and cas are served', extensions: { code: 'BAD_USER_INPUT' } }],
    };
  });
  app.get('/health/live', async () => ({ status: 'ok' }));
  await app.listen({ port: Number(env.APP_PORT ?? 8091), host: '127.0.0.1' });
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}

if (cluster.isPrimary) {
  const db = await mysql.createConnection(dbOptions());
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, votes BIGINT UNSIGNED NOT NULL)`,
  );
  await db.end();
  rotateTickets();
  if (workers > 1) {
    forkWorkers(workers);
  } else {
    await serve();
  }
} else {
  await serve();
}

import 'reflect-metadata';
import { Transform, plainToInstance } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, MinLength, validateSync } from 'class-validator';
import { availableParallelism } from 'node:os';
import { RedisSettings, redisProblems } from './redis-settings';
import { FlagSetting, IntSetting } from './setting-decorators';

/** LOG_REQUESTS' older boolean spellings. */
const REQUEST_LOG_ALIASES: Readonly<Record<string, string>> = { true: 'all', false: 'off' };

/**
 * Every setting the service reads, validated once at boot. Names follow the 2015 contest
 * (APP_*, DB_*, REDIS_*); the rest are this project's own and listed in `.env.example`. The Redis
 * settings are in {@link RedisSettings}.
 */
export class AppConfig extends RedisSettings {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsString()
  @IsNotEmpty()
  APP_HOST = '0.0.0.0';

  @IntSetting(0, 65535)
  APP_PORT = 8080;

  /**
   * Accept queue of the listening socket (the kernel caps it at net.core.somaxconn). Node's 511
   * overflows when a thousand clients open a connection each at once: the dropped SYNs are
   * retried after 1 s and 3 s, which shows as multi-second tail latency. Go listens with
   * somaxconn; so do we, by default.
   */
  @IntSetting(1, 65535)
  APP_BACKLOG = 4096;

  /** Worker processes per node; each worker is a full cluster member with its own identity. */
  @IntSetting(1, 256)
  WORKERS = availableParallelism();

  /**
   * Old-space budget (MiB) of each forked worker (`--max-old-space-size`): under load V8 lets old
   * space fill with promoted garbage far past the ~70 MB live set (100k users) before a full GC.
   * A single-worker node (WORKERS=1) takes the flag on its own command line.
   */
  @IntSetting(64, 1_048_576)
  WORKER_HEAP_MB = 160;

  @IsString()
  @IsNotEmpty()
  DB_HOST = '127.0.0.1';

  @IntSetting(1, 65535)
  DB_PORT = 3306;

  @IsString()
  @IsNotEmpty()
  DB_NAME = 'eleme';

  @IsString()
  @IsNotEmpty()
  DB_USER = 'eleme';

  @IsString()
  DB_PASS = 'eleme';

  @IntSetting(1, 500)
  DB_POOL_SIZE = 8;

  /**
   * How long one of the app's MySQL queries may take before it fails and its connection is closed
   * (a hung MySQL costs a 503, not a wait); a commit that times out is in doubt and settled as one
   * whose connection died. Dataset loads must fit in it. The data and migrate commands set none.
   */
  @IntSetting(100, 600_000)
  DB_QUERY_TIMEOUT_MS = 5000;

  /** HMAC key for access tokens and cart ids. Required in production; see `validate`. */
  @IsOptional()
  @IsString()
  @MinLength(16)
  TOKEN_SECRET?: string;

  /** How often each node refreshes its `GET /foods` snapshot from Redis. */
  @IntSetting(50, 10_000)
  FOODS_REFRESH_MS = 250;

  /** How often each node checks whether `npm run data -- generate` replaced the dataset. */
  @IntSetting(100, 60_000)
  DATASET_POLL_MS = 1000;

  /** Upper bound on rows in one group commit. */
  @IntSetting(1, 10_000)
  COMMIT_BATCH_MAX = 500;

  /** Carts live in Redis this long after their last change. */
  @IntSetting(60, 30 * 86_400)
  CART_TTL_S = 86_400;

  /**
   * Stock lease TTL: a crashed node's unsold stock returns to the pool within about this long.
   * Leases are renewed every third of it, so a node must stall that long to lose its lease.
   */
  @IntSetting(300, 60_000)
  LEASE_TTL_MS = 3000;

  /** The contract's ticket period: the leader writes a new ticket this often. */
  @IntSetting(100, 3_600_000)
  TICKET_INTERVAL_MS = 2000;

  /** How long a replaced ticket stays accepted; 0 = valid exactly until replaced (the contract). */
  @IntSetting(0, 3_600_000)
  TICKET_GRACE_MS = 0;

  /**
   * Successful votes one ticket allows, cluster-wide. 10,000 per 2 s interval is far above what
   * a person clicks yet caps a script that grabbed a ticket; every node must use the same value.
   */
  @IntSetting(1, 1_000_000_000)
  TICKET_MAX_USES = 10_000;

  /** Most names in one vote: bounds the work (and the Lua script) one request can cause. */
  @IntSetting(1, 1000)
  VOTE_MAX_USERNAMES = 100;

  /**
   * TTL of the leader lease. A crashed leader is replaced within about this long, so it should
   * not exceed the ticket interval by much; it is renewed every third of it.
   */
  @IntSetting(300, 60_000)
  LEADER_LEASE_MS = 3000;

  // Abuse limits (docs/operations.md, Limits). GraphQL documents are refused whole over any of them.
  @IntSetting(64, 1_048_576)
  GRAPHQL_MAX_BYTES = 8192;

  @IntSetting(10, 100_000)
  GRAPHQL_MAX_TOKENS = 500;

  /** Fields of the API in one document, aliases included: 20 votes or queries per request. */
  @IntSetting(1, 10_000)
  GRAPHQL_MAX_FIELDS = 20;

  /** Nesting, fragments expanded. The API is flat; GraphiQL's schema fetch needs about 13. */
  @IntSetting(2, 100)
  GRAPHQL_MAX_DEPTH = 15;

  /** Distinct documents each of mercurius' two caches keeps (parsed and compiled; refused). */
  @IntSetting(1, 100_000)
  GRAPHQL_CACHE_SIZE = 128;

  /** Arrays of operations in one POST: off unless enabled; each is then checked on its own. */
  @FlagSetting()
  GRAPHQL_BATCHING = false;

  /** Failed logins one username may have in the window before it gets 429 until they age out. */
  @IntSetting(1, 1_000_000)
  LOGIN_MAX_FAILURES = 10;

  @IntSetting(1000, 86_400_000)
  LOGIN_FAILURE_WINDOW_MS = 60_000;

  /** A client must send its headers within this long, its whole request within the next one. */
  @IntSetting(100, 600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  @IntSetting(100, 600_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** An idle keep-alive connection is closed after this long (above common load balancers' 60 s). */
  @IntSetting(100, 600_000)
  HTTP_KEEPALIVE_TIMEOUT_MS = 65_000;

  /** Origins allowed by CORS, comma-separated, or `*`; empty: no CORS headers (same origin only). */
  @IsString()
  CORS_ORIGINS = '';

  /** On SIGTERM/SIGINT, workers still running after this long are killed. */
  @IntSetting(100, 600_000)
  SHUTDOWN_TIMEOUT_MS = 15_000;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  /** JSON lines, or coloured text for a terminal; unset: JSON with NODE_ENV=production only. */
  @IsOptional()
  @IsIn(['json', 'pretty'])
  LOG_FORMAT?: 'json' | 'pretty';

  /**
   * Request lines: `all` (one per answer), `errors` (answers with status ≥ 400 only), `off` (no
   * lines, no request ids). `true`/`false` mean `all`/`off`. With `all` every line written while
   * serving a request carries its id. `errors` by default: a line per answer (and the async
   * context behind `all`) cost a third of a cheap route's throughput in the bench, and every
   * answer is counted and timed in the metrics anyway.
   */
  @Transform(({ value }) => REQUEST_LOG_ALIASES[String(value)] ?? value)
  @IsIn(['all', 'errors', 'off'])
  LOG_REQUESTS: 'all' | 'errors' | 'off' = 'errors';

  get logFormat(): 'json' | 'pretty' {
    return this.LOG_FORMAT ?? (this.NODE_ENV === 'production' ? 'json' : 'pretty');
  }

  /** The key actually used for signing: TOKEN_SECRET, or a fixed development key outside production. */
  get tokenSecret(): string {
    return this.TOKEN_SECRET ?? 'development-only-token-secret-change-me';
  }
}

export class ConfigError extends Error {}

/** Builds and validates the configuration from a flat string map (process.env merged with .env). */
export function validateConfig(raw: Record<string, string | undefined>): AppConfig {
  const known = new Set(Object.keys(new AppConfig()).concat('TOKEN_SECRET', 'LOG_FORMAT'));
  const picked: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    // An empty value means "unset", as in most .env conventions.
    if (known.has(key) && value !== undefined && value !== '') picked[key] = value;
  }
  const config = plainToInstance(AppConfig, picked, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  const messages = errors.flatMap((e) => Object.values(e.constraints ?? {}));
  messages.push(...redisProblems(config));
  if (config.NODE_ENV === 'production' && !config.TOKEN_SECRET) {
    messages.push('TOKEN_SECRET must be set (at least 16 characters) when NODE_ENV=production');
  }
  if (messages.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${messages.join('\n  - ')}`);
  }
  return config;
}

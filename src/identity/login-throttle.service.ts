import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RedisClient } from '../platform/redis/redis.constants';
import { createHash } from 'node:crypto';
import { AppConfig } from '../platform/config/app-config';
import { DomainError, ServiceUnavailableError } from '../platform/errors/domain-error';
import { ErrorCode } from '../platform/errors/error-codes';
import { randomBase64url } from '../platform/random/random-pool';
import { REDIS } from '../platform/redis/redis.constants';
import { IdentityKeys } from './identity-keys';
import { runScript } from '../platform/redis/redis-scripts';

/** Too many failed logins for one username: 429, with how long until the next attempt may run. */
export class TooManyAttemptsError extends DomainError {
  constructor(override readonly retryAfterMs: number) {
    super(ErrorCode.TOO_MANY_ATTEMPTS);
  }
}

/**
 * Failed logins per username in a sliding window, shared by every node through Redis: one round
 * trip before the password is hashed (the hash is what costs: ~40 ms of CPU at the default cost),
 * one more after a wrong password. A username at the limit is refused without hashing until its
 * oldest failure leaves the window; refused attempts are not counted, so the real user gets in once
 * the window has passed. Other usernames are never affected, nor is a first, successful login.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
  ) {}

  /** Throws TooManyAttemptsError at the limit; SERVICE_UNAVAILABLE when Redis cannot say. */
  async check(username: string): Promise<void> {
    let reply: [number, number];
    try {
      reply = await runScript(
        this.redis,
        'login-check',
        [keyOf(username)],
        [this.config.LOGIN_FAILURE_WINDOW_MS, this.config.LOGIN_MAX_FAILURES],
      );
    } catch (error) {
      throw new ServiceUnavailableError(error);
    }
    if (reply[1] > 0) throw new TooManyAttemptsError(reply[1]);
  }

  /** Counts a wrong password. Best effort: the client's answer is the 403 either way. */
  async recordFailure(username: string): Promise<void> {
    try {
      const failures = await runScript<number>(
        this.redis,
        'login-failure',
        [keyOf(username)],
        [this.config.LOGIN_FAILURE_WINDOW_MS, randomBase64url(12), this.config.LOGIN_MAX_FAILURES],
      );
      // Once per trip: refused attempts are not recorded, so the count stays at the limit.
      if (failures === this.config.LOGIN_MAX_FAILURES)
        this.logger.warn(
          `Username ${JSON.stringify(username.slice(0, 64))} reached ${failures} failed logins: refused until they age out`,
        );
    } catch (error) {
      this.logger.warn(`A failed login was not counted: ${(error as Error).message}`);
    }
  }
}

function keyOf(username: string): string {
  return IdentityKeys.loginFailures(createHash('sha256').update(username).digest('base64url'));
}

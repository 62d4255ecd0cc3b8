import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../platform/errors/domain-error';
import { ErrorCode } from '../platform/errors/error-codes';
import type { RouteGuard } from '../platform/http/rest-route';
import { TokenService } from './token.service';
import { UserDirectory } from './user-directory.service';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user whose access token a guard accepted (0 before any guard ran). */
    userId: number;
  }
}

/** The OpenAPI names of the two ways to send a token; either one is enough. */
export const TOKEN_SECURITY_SCHEMES = {
  access_token_header: { type: 'apiKey', in: 'header', name: 'Access-Token' },
  access_token_query: { type: 'apiKey', in: 'query', name: 'access_token' },
} as const;

const TOKEN_SECURITY = Object.keys(TOKEN_SECURITY_SCHEMES).map((name) => ({ [name]: [] }));

/** The token from `?access_token=` or the `Access-Token` header. */
function tokenOf(request: FastifyRequest): unknown {
  const query = request.query as Record<string, unknown> | undefined;
  return query?.access_token ?? request.headers['access-token'];
}

/**
 * The guards of the REST routes: `user` lets a request through with a valid access token and puts
 * its user id on the request; `admin` takes root's token only, and answers any other, valid or not,
 * with the same 401 as a bad token.
 */
@Injectable()
export class TokenAuth implements OnModuleInit {
  readonly user: RouteGuard;
  readonly admin: RouteGuard;

  constructor(
    tokens: TokenService,
    users: UserDirectory,
    private readonly adapter: HttpAdapterHost,
  ) {
    const refused = DomainError.of(ErrorCode.INVALID_ACCESS_TOKEN);
    /** A guard that lets through a valid token whose user `accepts` takes. */
    const guard = (accepts: (userId: number) => boolean): RouteGuard => ({
      security: TOKEN_SECURITY,
      errors: [ErrorCode.INVALID_ACCESS_TOKEN],
      check: (request, _reply, done) => {
        const userId = tokens.open(tokenOf(request));
        if (userId === undefined || !accepts(userId)) return done(refused);
        request.userId = userId;
        done();
      },
    });
    this.user = guard(() => true);
    this.admin = guard((userId) => users.isAdmin(userId));
  }

  /** Declared once, so every request object has the same shape. */
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    if (!fastify.hasRequestDecorator('userId')) fastify.decorateRequest('userId', 0);
  }
}

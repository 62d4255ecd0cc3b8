import { CanActivate, ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../platform/errors/domain-error';
import { ErrorCode } from '../platform/errors/error-codes';
import { TokenService } from './token.service';
import { UserDirectory } from './user-directory.service';

type AuthedRequest = FastifyRequest & { userId?: number };

/** The token from `?access_token=` or the `Access-Token` header (either one is enough). */
function tokenOf(request: FastifyRequest): unknown {
  const query = request.query as Record<string, unknown> | undefined;
  return query?.access_token ?? request.headers['access-token'];
}

/** Lets a request through only with a valid access token; the user id lands on the request. */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(private readonly tokens: TokenService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const userId = this.tokens.open(tokenOf(request));
    if (userId === undefined) throw DomainError.of(ErrorCode.INVALID_ACCESS_TOKEN);
    request.userId = userId;
    return true;
  }
}

/** Admin endpoints: any token but root's gets the same 401 as a bad token. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: UserDirectory,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const userId = this.tokens.open(tokenOf(request));
    if (userId === undefined || !this.users.isAdmin(userId))
      throw DomainError.of(ErrorCode.INVALID_ACCESS_TOKEN);
    request.userId = userId;
    return true;
  }
}

/** The id of the user whose token a guard accepted. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): number => {
    const userId = context.switchToHttp().getRequest<AuthedRequest>().userId;
    if (userId === undefined) throw DomainError.of(ErrorCode.INVALID_ACCESS_TOKEN);
    return userId;
  },
);

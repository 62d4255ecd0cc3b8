import { Injectable } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { ErrorCode } from '../platform/errors/error-codes';
import { RestRoute, RestRouteSource, defineRoute } from '../platform/http/rest-route';
import { RestRoutes } from '../platform/http/rest-router';
import { AuthService } from './auth.service';

const LoginBody = Type.Object(
  {
    username: Type.String({ maxLength: 1024, examples: ['root'] }),
    password: Type.String({ maxLength: 1024, examples: ['toor'] }),
  },
  { examples: [{ username: 'root', password: 'toor' }] },
);

const LoginReply = Type.Object({
  user_id: Type.Integer(),
  username: Type.String(),
  access_token: Type.String(),
});

@RestRoutes()
@Injectable()
export class AuthRoutes implements RestRouteSource {
  constructor(private readonly auth: AuthService) {}

  routes(): RestRoute[] {
    return [
      defineRoute({
        method: 'POST',
        url: '/login',
        summary: 'Log in: the user id, name and access token',
        tags: ['ordering'],
        body: LoginBody,
        reply: LoginReply,
        errors: [
          ErrorCode.USER_AUTH_FAIL,
          ErrorCode.TOO_MANY_ATTEMPTS,
          ErrorCode.SERVICE_UNAVAILABLE,
        ],
        handler: (request) => this.auth.login(request.body.username, request.body.password),
      }),
    ];
  }
}

import { Module } from '@nestjs/common';
import { AuthRoutes } from './auth.routes';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle.service';
import { TokenAuth } from './token-auth';
import { TokenService } from './token.service';
import { UserDirectory } from './user-directory.service';

@Module({
  providers: [AuthRoutes, AuthService, LoginThrottle, TokenService, UserDirectory, TokenAuth],
  exports: [TokenService, UserDirectory, TokenAuth],
})
export class AuthModule {}

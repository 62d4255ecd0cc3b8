import { Module } from '@nestjs/common';
import { AccessTokenGuard, AdminGuard } from './access-token.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle.service';
import { TokenService } from './token.service';
import { UserDirectory } from './user-directory.service';

@Module({
  controllers: [AuthController],
  providers: [
    AuthService,
    LoginThrottle,
    TokenService,
    UserDirectory,
    AccessTokenGuard,
    AdminGuard,
  ],
  exports: [TokenService, UserDirectory, AccessTokenGuard, AdminGuard],
})
export class AuthModule {}

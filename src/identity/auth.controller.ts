import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { JsonBodyPipe } from '../platform/http/json-body.pipe';
import { AuthService, LoginResult } from './auth.service';
import { LoginDto, LoginResponseDto, loginSchema } from './dto/login.dto';

@ApiTags('ordering')
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResponseDto, description: 'The user id, name and access token' })
  @ApiResponse({ status: 403, description: 'USER_AUTH_FAIL: unknown name or wrong password' })
  @ApiResponse({
    status: 429,
    description: 'TOO_MANY_ATTEMPTS: too many failed logins for this name (see Retry-After)',
  })
  login(@Body(new JsonBodyPipe(loginSchema)) body: LoginDto): Promise<LoginResult> {
    return this.auth.login(body.username, body.password);
  }
}

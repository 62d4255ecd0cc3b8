import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { JsonBodyPipe } from '../platform/http/json-body.pipe';
import { AuthService, LoginResult } from './auth.service';
import { LoginDto, LoginResponseDto, loginSchema } from './dto/login.dto';

@ApiTags('ordering')
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({
    type: LoginResponseDto,
    description: '403 USER_AUTH_FAIL for an unknown name or wrong password',
  })
  login(@Body(new JsonBodyPipe(loginSchema)) body: LoginDto): Promise<LoginResult> {
    return this.auth.login(body.username, body.password);
  }
}

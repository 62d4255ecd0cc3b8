import { Injectable } from '@nestjs/common';
import { DomainError } from '../platform/errors/domain-error';
import { ErrorCode } from '../platform/errors/error-codes';
import { LoginThrottle } from './login-throttle.service';
import { hashPassword, verifyPassword } from './password-hasher';
import { TokenService } from './token.service';
import { UserDirectory } from './user-directory.service';

export interface LoginResult {
  user_id: number;
  username: string;
  access_token: string;
}

@Injectable()
export class AuthService {
  /** Verified against for unknown names, so a miss costs as long as a wrong password. */
  private readonly decoyHash = hashPassword('decoy');

  constructor(
    private readonly users: UserDirectory,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
  ) {}

  async login(username: string, password: string): Promise<LoginResult> {
    await this.throttle.check(username);
    const user = this.users.findByName(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !ok) {
      await this.throttle.recordFailure(username);
      throw DomainError.of(ErrorCode.USER_AUTH_FAIL);
    }
    return { user_id: user.id, username: user.name, access_token: this.tokens.issue(user.id) };
  }
}

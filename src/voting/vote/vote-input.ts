import { DomainError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';

/** The `user.name` column is VARCHAR(64): a longer name cannot exist, so it is bad input. */
export const MAX_USERNAME_LENGTH = 64;

/**
 * The shape rules of `vote(usernames)`, checked before anything is looked up: 1 to `max` names,
 * each 1 to 64 characters, no name twice (names compare exactly, like the `user` table's binary
 * collation). Returns the names; throws BAD_USER_INPUT naming the first rule broken.
 */
export function checkUsernames(usernames: readonly string[], max: number): readonly string[] {
  if (usernames.length === 0) throw badInput('usernames must not be empty');
  if (usernames.length > max) throw badInput(`at most ${max} usernames per vote`);
  const seen = new Set<string>();
  for (const name of usernames) {
    checkUsername(name);
    if (seen.has(name)) throw badInput(`duplicate username: ${name}`);
    seen.add(name);
  }
  return usernames;
}

/** One name, as `query(username)` takes it. */
export function checkUsername(name: string): string {
  if (name.length === 0) throw badInput('a username must not be empty');
  if (name.length > MAX_USERNAME_LENGTH)
    throw badInput(`a username has at most ${MAX_USERNAME_LENGTH} characters`);
  return name;
}

function badInput(message: string): DomainError {
  return new DomainError(ErrorCode.BAD_USER_INPUT, message);
}

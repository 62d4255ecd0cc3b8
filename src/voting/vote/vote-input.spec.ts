import { DomainError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { checkUsername, checkUsernames } from './vote-input';

function codeOf(action: () => unknown): ErrorCode | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return (error as DomainError).code;
  }
}

describe('vote input rules', () => {
  it('accepts 1 to max distinct names', () => {
    expect(checkUsernames(['a'], 3)).toEqual(['a']);
    expect(checkUsernames(['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['an empty list', [] as string[]],
    ['too many names', ['a', 'b', 'c', 'd']],
    ['a duplicate', ['a', 'b', 'a']],
    ['an empty name', ['a', '']],
    ['a name over 64 characters', ['x'.repeat(65)]],
  ])('refuses %s with BAD_USER_INPUT', (_case, names) => {
    expect(codeOf(() => checkUsernames(names, 3))).toBe(ErrorCode.BAD_USER_INPUT);
  });

  it('compares names exactly: case differs, so no duplicate', () => {
    expect(checkUsernames(['Ann', 'ann'], 3)).toHaveLength(2);
  });

  it('checks a single name the same way', () => {
    expect(checkUsername('x'.repeat(64))).toHaveLength(64);
    expect(codeOf(() => checkUsername(''))).toBe(ErrorCode.BAD_USER_INPUT);
  });
});

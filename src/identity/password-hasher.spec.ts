import { costOf, hashPassword, verifyPassword } from './password-hasher';

/** What load-test datasets use (`--hash-cost 4`). */
const LOAD_TEST_COST = costOf(4);

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('toor', LOAD_TEST_COST);
    await expect(verifyPassword('toor', hash)).resolves.toBe(true);
    await expect(verifyPassword('toor ', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  it('records its own parameters, so hashes of different costs verify alike', async () => {
    const cheap = await hashPassword('pw', { N: 16, r: 8, p: 1 });
    const dearer = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    expect(cheap).toMatch(/^scrypt\$16\$8\$1\$/);
    expect(dearer).toMatch(/^scrypt\$1024\$8\$1\$/);
    await expect(verifyPassword('pw', cheap)).resolves.toBe(true);
    await expect(verifyPassword('pw', dearer)).resolves.toBe(true);
  });

  it('salts: the same password never hashes the same way twice, and never appears in the hash', async () => {
    const a = await hashPassword('secret-password', LOAD_TEST_COST);
    const b = await hashPassword('secret-password', LOAD_TEST_COST);
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret-password');
  });

  it('treats malformed stored hashes as no match', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$16$8$1$$',
      'bcrypt$10$abc$def',
      'scrypt$x$8$1$c2FsdA$aGFzaA',
    ]) {
      await expect(verifyPassword('pw', stored)).resolves.toBe(false);
    }
  });
});

import { isRetryableLockError, mayHaveCommitted } from './mysql-errors';

describe('MySQL error classification', () => {
  const serverError = (code: string, sqlState: string) =>
    Object.assign(new Error(code), { code, sqlState, errno: 1 });

  it('retries deadlocks and lock wait timeouts only', () => {
    expect(isRetryableLockError(serverError('ER_LOCK_DEADLOCK', '40001'))).toBe(true);
    expect(
      isRetryableLockError({ driverError: serverError('ER_LOCK_WAIT_TIMEOUT', 'HY000') }),
    ).toBe(true);
    expect(isRetryableLockError(serverError('ER_NO_SUCH_TABLE', '42S02'))).toBe(false);
  });

  it('knows a server-side SQL error or a refused connection wrote nothing', () => {
    expect(mayHaveCommitted(serverError('ER_NO_SUCH_TABLE', '42S02'))).toBe(false);
    expect(mayHaveCommitted(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(
      false,
    );
  });

  it('treats a connection lost mid-statement as in doubt', () => {
    expect(
      mayHaveCommitted(Object.assign(new Error('lost'), { code: 'PROTOCOL_CONNECTION_LOST' })),
    ).toBe(true);
    expect(mayHaveCommitted(new Error('something else'))).toBe(true);
  });
});

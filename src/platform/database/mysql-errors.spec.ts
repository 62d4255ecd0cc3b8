import {
  isDuplicateKey,
  isQueryTimeout,
  isRetryableLockError,
  mayHaveCommitted,
} from './mysql-errors';

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

  it("knows mysql2's query timeout, through TypeORM wrapping or not, and treats it as in doubt", () => {
    const timeout = Object.assign(new Error('Query inactivity timeout'), {
      code: 'PROTOCOL_SEQUENCE_TIMEOUT',
    });
    expect(isQueryTimeout(timeout)).toBe(true);
    expect(isQueryTimeout({ message: 'wrapped', driverError: timeout })).toBe(true);
    expect(
      isQueryTimeout(Object.assign(new Error('lost'), { code: 'PROTOCOL_CONNECTION_LOST' })),
    ).toBe(false);
    expect(isQueryTimeout(undefined)).toBe(false);
    expect(mayHaveCommitted(timeout)).toBe(true);
  });
});

describe('isDuplicateKey', () => {
  it('names the unique key that was hit, through TypeORM wrapping or not', () => {
    const raw = { code: 'ER_DUP_ENTRY', message: "Duplicate entry '7' for key 'uq_order_user'" };
    expect(isDuplicateKey(raw, 'uq_order_user')).toBe(true);
    expect(
      isDuplicateKey(
        { message: raw.message, driverError: { code: 'ER_DUP_ENTRY' } },
        'uq_order_user',
      ),
    ).toBe(true);
    expect(
      isDuplicateKey(
        { code: 'ER_DUP_ENTRY', message: "Duplicate entry 'x' for key 'PRIMARY'" },
        'uq_order_user',
      ),
    ).toBe(false);
    expect(
      isDuplicateKey({ code: 'ER_LOCK_DEADLOCK', message: 'uq_order_user' }, 'uq_order_user'),
    ).toBe(false);
    expect(isDuplicateKey(null, 'uq_order_user')).toBe(false);
  });
});

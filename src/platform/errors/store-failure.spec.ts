import { isStoreFailure } from './store-failure';

describe('isStoreFailure', () => {
  it('knows a store that could not be reached or did not answer', () => {
    const failures: unknown[] = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' }),
      { message: 'Query failed', driverError: { code: 'PROTOCOL_SEQUENCE_TIMEOUT' } },
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Command timed out'),
      Object.assign(new Error('Failed to refresh slots cache.'), { name: 'ClusterAllFailedError' }),
    ];
    expect(failures.filter((e) => !isStoreFailure(e))).toEqual([]);
  });

  it('leaves bugs and the stores’ own answers alone', () => {
    const bugs: unknown[] = [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      Object.assign(new Error("Duplicate entry '2' for key 'uq_order_user'"), {
        code: 'ER_DUP_ENTRY',
        sqlState: '23000',
      }),
      new Error('ERR Error running script (call to f_1234): user_script:1: bad argument'),
      undefined,
      null,
      'a string',
    ];
    expect(bugs.filter((e) => isStoreFailure(e))).toEqual([]);
  });
});

import { validateConfig } from './app-config';
import { keyPrefixProblem, parseClusterNodes } from './redis-values';

describe('parseClusterNodes', () => {
  it('reads host:port lists, blanks around entries ignored, IPv6 in brackets', () => {
    expect(parseClusterNodes('127.0.0.1:7001, redis-b:7002 ,[::1]:7003')).toEqual({
      nodes: [
        { host: '127.0.0.1', port: 7001 },
        { host: 'redis-b', port: 7002 },
        { host: '::1', port: 7003 },
      ],
      problems: [],
    });
  });

  it.each([
    ['no port', '127.0.0.1'],
    ['an empty entry', '127.0.0.1:7001,,127.0.0.1:7002'],
    ['port 0', 'a:0'],
    ['a port past 65535', 'a:65536'],
    ['a port that is not a number', 'a:70x1'],
    ['IPv6 without brackets', '::1:7001'],
    ['a blank inside the host', 'a b:7001'],
  ])('refuses %s', (_what, raw) => {
    expect(parseClusterNodes(raw).problems).toEqual([expect.stringContaining('is not host:port')]);
  });

  it('refuses the same node twice (hosts compared without case)', () => {
    expect(parseClusterNodes('Redis:7001,redis:7001').problems).toEqual([
      'REDIS_CLUSTER_NODES lists redis:7001 twice',
    ]);
  });

  it('refuses more than 64 seeds', () => {
    const many = Array.from({ length: 65 }, (_, i) => `h:${7000 + i}`).join(',');
    expect(parseClusterNodes(many).problems).toEqual([expect.stringContaining('at most 64')]);
  });
});

describe('keyPrefixProblem', () => {
  it('accepts empty and ordinary prefixes', () => {
    for (const prefix of ['', 'e2e:ordering_contract:', 'tenant-7/', 'a*b?[c]'])
      expect(keyPrefixProblem(prefix)).toBeUndefined();
  });

  it('refuses braces, blanks, control characters and more than 64 characters', () => {
    expect(keyPrefixProblem('x{o}:')).toMatch(/must not contain \{ or \}/);
    expect(keyPrefixProblem('x}')).toMatch(/must not contain \{ or \}/);
    expect(keyPrefixProblem('a b')).toMatch(/blanks/);
    expect(keyPrefixProblem('a\tb')).toMatch(/blanks/);
    expect(keyPrefixProblem('a\u0001')).toMatch(/control/);
    expect(keyPrefixProblem('p'.repeat(64))).toBeUndefined();
    expect(keyPrefixProblem('p'.repeat(65))).toMatch(/65 characters, at most 64/);
  });
});

describe('the Redis settings in validateConfig', () => {
  it('defaults to a single Redis without a prefix', () => {
    const config = validateConfig({});
    expect(config.redisClusterNodes).toBeUndefined();
    expect(config.REDIS_KEY_PREFIX).toBe('');
  });

  it('gives the seed nodes and the prefix', () => {
    const config = validateConfig({
      REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1:7002',
      REDIS_KEY_PREFIX: 'e2e:x:',
    });
    expect(config.redisClusterNodes).toEqual([
      { host: '127.0.0.1', port: 7001 },
      { host: '127.0.0.1', port: 7002 },
    ]);
    expect(config.REDIS_KEY_PREFIX).toBe('e2e:x:');
  });

  it('stops the boot with every Redis problem listed', () => {
    expect(() =>
      validateConfig({
        REDIS_CLUSTER_NODES: '127.0.0.1:7001,nope',
        REDIS_DB: '3',
        REDIS_KEY_PREFIX: '{o}',
      }),
    ).toThrow(
      /REDIS_KEY_PREFIX must not contain[\s\S]*"nope" is not host:port[\s\S]*REDIS_DB=3 with REDIS_CLUSTER_NODES/,
    );
  });

  it('takes REDIS_DB 0 with a cluster, and any REDIS_DB without one', () => {
    expect(validateConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_DB: '0' }).REDIS_DB).toBe(0);
    expect(validateConfig({ REDIS_DB: '12' }).REDIS_DB).toBe(12);
  });
});

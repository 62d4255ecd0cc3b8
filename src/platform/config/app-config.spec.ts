import { ConfigError, validateConfig } from './app-config';

describe('validateConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = validateConfig({});
    expect(config).toMatchObject({
      APP_HOST: '0.0.0.0',
      APP_PORT: 8080,
      DB_NAME: 'eleme',
      REDIS_PORT: 6379,
      NODE_ENV: 'development',
    });
    expect(config).toMatchObject({ REDIS_COMMAND_TIMEOUT_MS: 5000, DB_QUERY_TIMEOUT_MS: 5000 });
    expect(config.WORKERS).toBeGreaterThanOrEqual(1);
  });

  it('converts numbers and ignores variables it does not know', () => {
    const config = validateConfig({
      APP_PORT: '9090',
      WORKERS: '3',
      PATH: '/usr/bin',
      DB_PASS: 'x',
    });
    expect(config.APP_PORT).toBe(9090);
    expect(config.WORKERS).toBe(3);
    expect(config.DB_PASS).toBe('x');
    expect(config).not.toHaveProperty('PATH');
  });

  it('reads LOG_REQUESTS as all, errors or off, with true and false for all and off', () => {
    expect(validateConfig({}).LOG_REQUESTS).toBe('errors');
    expect(validateConfig({ LOG_REQUESTS: 'all' }).LOG_REQUESTS).toBe('all');
    expect(validateConfig({ LOG_REQUESTS: 'errors' }).LOG_REQUESTS).toBe('errors');
    expect(validateConfig({ LOG_REQUESTS: 'true' }).LOG_REQUESTS).toBe('all');
    expect(validateConfig({ LOG_REQUESTS: 'false' }).LOG_REQUESTS).toBe('off');
    expect(() => validateConfig({ LOG_REQUESTS: 'some' })).toThrow(/LOG_REQUESTS/);
  });

  it('treats an empty value as unset', () => {
    expect(validateConfig({ APP_PORT: '' }).APP_PORT).toBe(8080);
  });

  it.each([
    [{ APP_PORT: 'eighty' }, /APP_PORT/],
    [{ APP_PORT: '70000' }, /APP_PORT/],
    [{ WORKERS: '0' }, /WORKERS/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ TOKEN_SECRET: 'short' }, /TOKEN_SECRET/],
    [{ REDIS_DB: '64' }, /REDIS_DB/],
    [{ REDIS_COMMAND_TIMEOUT_MS: '50' }, /REDIS_COMMAND_TIMEOUT_MS/],
    [{ DB_QUERY_TIMEOUT_MS: '0' }, /DB_QUERY_TIMEOUT_MS/],
    [{ DB_QUERY_TIMEOUT_MS: 'soon' }, /DB_QUERY_TIMEOUT_MS/],
  ])('refuses %p', (env, message) => {
    expect(() => validateConfig(env)).toThrow(ConfigError);
    expect(() => validateConfig(env)).toThrow(message);
  });

  it('requires a real TOKEN_SECRET in production, and uses it', () => {
    expect(() => validateConfig({ NODE_ENV: 'production' })).toThrow(/TOKEN_SECRET must be set/);
    expect(
      validateConfig({ NODE_ENV: 'production', TOKEN_SECRET: 'x'.repeat(32) }).tokenSecret,
    ).toBe('x'.repeat(32));
  });

  it('reports every problem at once', () => {
    expect(() => validateConfig({ APP_PORT: 'x', DB_PORT: 'y' })).toThrow(/APP_PORT[\s\S]*DB_PORT/);
  });
});

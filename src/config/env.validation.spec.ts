import { DEV_API_KEY, DEV_JWT_SECRET } from './herald-config.js';
import { ConfigError, validateEnv } from './env.validation.js';

const SECRET = 'a-real-secret-of-32-characters!!';
const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
};

describe('validateEnv', () => {
  it('applies every PROTOCOL default on an empty environment', () => {
    const c = validateEnv({});
    expect(c).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      logLevel: 'info',
      redisUrl: undefined,
      redisKeyPrefix: 'herald:',
      ticketTtlMs: 30_000,
      authTimeoutMs: 10_000,
      heartbeatIntervalMs: 30_000,
      maxPayloadBytes: 65_536,
      maxBodyBytes: 1_048_576,
      maxConnections: 0,
      maxConnectionsPerUser: 10,
      allowedOrigins: [],
      rateLimitPerSec: 50,
      sendBufferMaxBytes: 1_048_576,
      historySize: 100,
      historyTtlMs: 300_000,
      shutdownTimeoutMs: 10_000,
    });
    expect(c.jwt).toMatchObject({ algorithms: ['HS256'], secret: DEV_JWT_SECRET, clockToleranceSec: 5 });
    expect(c.apiKeys).toEqual([DEV_API_KEY]);
    expect(c.devKeys).toEqual({ jwt: true, apiKeys: true });
  });

  it('parses numbers given as strings', () => {
    const c = validateEnv({ PORT: '8080', HISTORY_SIZE: '5', HEARTBEAT_INTERVAL_MS: ' 100 ' });
    expect(c.port).toBe(8080);
    expect(c.historySize).toBe(5);
    expect(c.heartbeatIntervalMs).toBe(100);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '1.5'],
    ['HEARTBEAT_INTERVAL_MS', '0'],
    ['HISTORY_SIZE', 'lots'],
    ['MAX_PAYLOAD_BYTES', '-1'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%p with a ConfigError naming the variable', (name, value) => {
    const err = thrown(() => validateEnv({ [name]: value }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(name);
  });

  it('names every bad variable at once', () => {
    const err = thrown(() => validateEnv({ PORT: 'abc', RATE_LIMIT_PER_SEC: 'x' }));
    expect(err.message).toContain('PORT');
    expect(err.message).toContain('RATE_LIMIT_PER_SEC');
  });

  it('takes a redis:// or rediss:// REDIS_URL and a PRESENCE_TTL_MS of at most 30 s', () => {
    expect(validateEnv({ REDIS_URL: 'rediss://u:p@redis.internal:6380/2', PRESENCE_TTL_MS: '5000' })).toMatchObject({
      redisUrl: 'rediss://u:p@redis.internal:6380/2',
      presenceTtlMs: 5000,
    });
    expect(validateEnv({}).presenceTtlMs).toBe(25_000);
    expect(thrown(() => validateEnv({ REDIS_URL: 'localhost:6379' })).message).toContain('REDIS_URL');
    expect(thrown(() => validateEnv({ PRESENCE_TTL_MS: '60000' })).message).toContain('PRESENCE_TTL_MS');
  });

  it('ignores variables it does not know', () => {
    expect(validateEnv({ PATH: '/bin', SOMETHING_ELSE: 'x' }).port).toBe(3000);
  });

  it('treats blank optional values as unset', () => {
    const c = validateEnv({ JWT_SECRET: '  ', SERVICE_API_KEYS: '', ALLOWED_ORIGINS: '' });
    expect(c.devKeys).toEqual({ jwt: true, apiKeys: true });
    expect(c.allowedOrigins).toEqual([]);
  });

  it('parses comma-separated lists, trimming blanks', () => {
    const c = validateEnv({
      SERVICE_API_KEYS: ' k1 , k2,,k3 ',
      ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      JWT_SECRET: SECRET,
    });
    expect(c.apiKeys).toEqual(['k1', 'k2', 'k3']);
    expect(c.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.devKeys).toEqual({ jwt: false, apiKeys: false });
    expect(c.jwt.secret).toBe(SECRET);
  });

  it('refuses NODE_ENV=production without any keys, naming both', () => {
    const err = thrown(() => validateEnv({ NODE_ENV: 'production' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('JWT_SECRET');
    expect(err.message).toContain('SERVICE_API_KEYS');
  });

  it('refuses NODE_ENV=production naming only what is missing', () => {
    const noKeys = thrown(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: SECRET }));
    expect(noKeys.message).toContain('SERVICE_API_KEYS');
    expect(noKeys.message).not.toContain('JWT_SECRET');
    const noJwt = thrown(() => validateEnv({ NODE_ENV: 'production', SERVICE_API_KEYS: 'k1' }));
    expect(noJwt.message).toContain('JWT_SECRET');
    expect(noJwt.message).not.toContain('SERVICE_API_KEYS');
  });

  it('starts in production with both keys set', () => {
    const c = validateEnv({ NODE_ENV: 'production', JWT_SECRET: SECRET, SERVICE_API_KEYS: 'k1' });
    expect(c.devKeys).toEqual({ jwt: false, apiKeys: false });
  });

  it('refuses JWT_SECRET and JWT_PUBLIC_KEY together, and a public key that is not PEM', () => {
    expect(thrown(() => validateEnv({ JWT_SECRET: SECRET, JWT_PUBLIC_KEY: 'x' })).message).toMatch(/JWT_SECRET or JWT_PUBLIC_KEY/);
    expect(thrown(() => validateEnv({ JWT_PUBLIC_KEY: 'not a key' })).message).toContain('JWT_PUBLIC_KEY');
  });
});

describe('validateEnv: NODE_ENV and the development keys', () => {
  const thrown = (fn: () => unknown): Error => {
    try {
      fn();
    } catch (err) {
      return err as Error;
    }
    throw new Error('did not throw');
  };

  it('normalises NODE_ENV (Production is production)', () => {
    expect(thrown(() => validateEnv({ NODE_ENV: 'Production' })).message).toMatch(/NODE_ENV=production/);
    expect(validateEnv({ NODE_ENV: ' PRODUCTION ', JWT_SECRET: 'x'.repeat(32), SERVICE_API_KEYS: 'k' }).nodeEnv).toBe('production');
    expect(validateEnv({ NODE_ENV: '' }).nodeEnv).toBe('development');
  });

  it('runs on the development keys only when NODE_ENV is unset or development, or with HERALD_DEV_KEYS=1', () => {
    expect(validateEnv({}).devKeys).toEqual({ jwt: true, apiKeys: true });
    expect(validateEnv({ NODE_ENV: 'Development' }).devKeys.jwt).toBe(true);
    expect(thrown(() => validateEnv({ NODE_ENV: 'test' })).message).toMatch(/HERALD_DEV_KEYS=1/);
    expect(validateEnv({ NODE_ENV: 'test', HERALD_DEV_KEYS: '1' }).devKeys.apiKeys).toBe(true);
    expect(thrown(() => validateEnv({ NODE_ENV: 'production', HERALD_DEV_KEYS: '1' })).message).toMatch(/NODE_ENV=production/);
    expect(thrown(() => validateEnv({ HERALD_DEV_KEYS: 'yes' })).message).toMatch(/HERALD_DEV_KEYS/);
  });

  it('never shows a secret in a config error', () => {
    const err = thrown(() => validateEnv({ REDIS_URL: 'redis://u:hunter2hunter2@h:1/x?password=hunter3' }));
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).not.toMatch(/hunter/);
  });
});

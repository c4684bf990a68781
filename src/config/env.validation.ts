import { createPublicKey } from 'node:crypto';
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { DEV_API_KEY, DEV_JWT_SECRET, type HeraldConfig, JwtAlgorithm } from './herald-config.js';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
const blankToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** Every variable of PROTOCOL §8, with its default. Values arrive as strings. */
class EnvironmentVariables {
  /** Trimmed and lower-cased: `Production` is production (it ran on the public development keys). */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() || 'development' : value))
  @IsOptional() @IsString() NODE_ENV = 'development';
  /** The explicit opt-in to the built-in development keys outside NODE_ENV=development. */
  @Transform(blankToUndefined) @IsOptional() @IsIn(['0', '1', 'true', 'false']) HERALD_DEV_KEYS?: string;
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @Transform(blankToUndefined) @IsOptional() @IsString() HOST?: string;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';

  // Any secret parses (PROTOCOL §8 stops the start only on values that do not); a short one is warned about at start.
  @Transform(blankToUndefined) @IsOptional() @IsString() JWT_SECRET?: string;
  @Transform(blankToUndefined) @IsOptional() @IsString() JWT_PUBLIC_KEY?: string;
  @Transform(blankToUndefined) @IsOptional() @IsString() JWT_ISSUER?: string;
  @Transform(blankToUndefined) @IsOptional() @IsString() JWT_AUDIENCE?: string;
  @Transform(toInt) @IsInt() @Min(0) @Max(3600) JWT_CLOCK_TOLERANCE_SEC = 5;
  @Transform(blankToUndefined) @IsOptional() @IsString() SERVICE_API_KEYS?: string;

  @Transform(blankToUndefined) @IsOptional() @IsString() @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' }) REDIS_URL?: string;
  @IsString() REDIS_KEY_PREFIX = 'herald:';

  @Transform(toInt) @IsInt() @Min(1) TICKET_TTL_MS = 30_000;
  @Transform(toInt) @IsInt() @Min(1) AUTH_TIMEOUT_MS = 10_000;
  @Transform(toInt) @IsInt() @Min(1) HEARTBEAT_INTERVAL_MS = 30_000;
  @Transform(toInt) @IsInt() @Min(64) MAX_PAYLOAD_BYTES = 65_536;
  @Transform(toInt) @IsInt() @Min(64) MAX_BODY_BYTES = 1_048_576;
  @Transform(toInt) @IsInt() @Min(0) MAX_CONNECTIONS = 0;
  @Transform(toInt) @IsInt() @Min(1) MAX_CONNECTIONS_PER_USER = 10;
  @Transform(blankToUndefined) @IsOptional() @IsString() ALLOWED_ORIGINS?: string;
  @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_PER_SEC = 50;
  @Transform(toInt) @IsInt() @Min(1024) SEND_BUFFER_MAX_BYTES = 1_048_576;
  @Transform(toInt) @IsInt() @Min(1) HISTORY_SIZE = 100;
  @Transform(toInt) @IsInt() @Min(1) HISTORY_TTL_MS = 300_000;
  @Transform(toInt) @IsInt() @Min(1) IDEMPOTENCY_TTL_MS = 300_000;
  /** Cluster presence: a dead instance's connections stop counting within this (PROTOCOL §9: at most 30 s). */
  @Transform(toInt) @IsInt() @Min(100) @Max(30_000) PRESENCE_TTL_MS = 25_000;
  @Transform(toInt) @IsInt() @Min(0) SHUTDOWN_TIMEOUT_MS = 10_000;
  /** Slowloris: a request (an upgrade too) must send its headers within this, and all of it within the next. */
  @Transform(toInt) @IsInt() @Min(100) HTTP_HEADERS_TIMEOUT_MS = 10_000;
  @Transform(toInt) @IsInt() @Min(100) HTTP_REQUEST_TIMEOUT_MS = 10_000;
  /** Memory mode: streams (users, channels, broadcast) whose position is kept; the least recently used idle one goes first. */
  @Transform(toInt) @IsInt() @Min(1) HISTORY_MAX_STREAMS = 100_000;
}

export class ConfigError extends Error {}

/** Every variable Herald reads; the README's config table lists the same. */
export const ENV_VARIABLES = [
  'NODE_ENV', 'PORT', 'HOST', 'LOG_LEVEL',
  'JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_CLOCK_TOLERANCE_SEC',
  'SERVICE_API_KEYS', 'REDIS_URL', 'REDIS_KEY_PREFIX',
  'TICKET_TTL_MS', 'AUTH_TIMEOUT_MS', 'HEARTBEAT_INTERVAL_MS', 'MAX_PAYLOAD_BYTES', 'MAX_BODY_BYTES',
  'MAX_CONNECTIONS', 'MAX_CONNECTIONS_PER_USER', 'ALLOWED_ORIGINS', 'RATE_LIMIT_PER_SEC',
  'SEND_BUFFER_MAX_BYTES', 'HISTORY_SIZE', 'HISTORY_TTL_MS', 'IDEMPOTENCY_TTL_MS', 'PRESENCE_TTL_MS', 'SHUTDOWN_TIMEOUT_MS',
  'HERALD_DEV_KEYS', 'HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS', 'HISTORY_MAX_STREAMS',
] as const;

const splitList = (value?: string) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** PEM public keys: the algorithm follows from the key type, so a token can't pick it. */
function publicKeyAlgorithms(pem: string): JwtAlgorithm[] {
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ConfigError('Invalid configuration: JWT_PUBLIC_KEY is not a readable PEM public key');
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return ['RS256'];
  // ES256 is ECDSA on P-256 only; another curve would verify nothing.
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return ['ES256'];
  if (type === 'ec') {
    throw new ConfigError(`Invalid configuration: JWT_PUBLIC_KEY is an EC key on ${key.asymmetricKeyDetails?.namedCurve}; ES256 needs P-256 (prime256v1)`);
  }
  throw new ConfigError(`Invalid configuration: JWT_PUBLIC_KEY is a ${type} key; use an RSA (RS256) or EC P-256 (ES256) key`);
}

/** Variables whose value is a secret: a config error names them, never shows them. */
const SECRET_VARIABLES = new Set(['JWT_SECRET', 'JWT_PUBLIC_KEY', 'SERVICE_API_KEYS']);

/** `NAME=value` for an error message, with credentials masked (a URL's user and password, its query). */
function shown(name: string, value: unknown): string {
  if (SECRET_VARIABLES.has(name)) return `${name}=[redacted]`;
  if (name === 'REDIS_URL' && typeof value === 'string') {
    return `${name}=${JSON.stringify(value.replace(/\/\/[^/?#]*@/, '//***@').replace(/[?#].*$/, '?***'))}`;
  }
  return `${name}=${JSON.stringify(value)}`;
}

/** What ioredis would choke on later (a throw with the URL in it, or a crash on `SELECT NaN`), found now. */
function redisUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'REDIS_URL is not a valid URL (redis://[:password@]host[:port][/db])';
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return 'REDIS_URL must be a redis:// or rediss:// URL';
  if (url.hostname === '') return 'REDIS_URL names no host';
  if (!/^\/?\d*$/.test(url.pathname)) return 'REDIS_URL database must be a number (redis://host:6379/0)';
  return undefined;
}

/**
 * The built-in keys are public: production never runs on them, and any other
 * NODE_ENV but `development` (staging, test, a typo) needs HERALD_DEV_KEYS=1.
 */
function refuseDevKeys(nodeEnv: string, optIn: string | undefined, devJwt: boolean, devApiKeys: boolean): void {
  const missing = [devJwt && 'JWT_SECRET or JWT_PUBLIC_KEY', devApiKeys && 'SERVICE_API_KEYS'].filter(Boolean).join(' and ');
  if (nodeEnv === 'production') {
    throw new ConfigError(`Refusing to start with NODE_ENV=production on built-in development keys: set ${missing}`);
  }
  if (nodeEnv !== 'development' && optIn !== '1' && optIn !== 'true') {
    throw new ConfigError(
      `Refusing to start with NODE_ENV=${JSON.stringify(nodeEnv)} on built-in development keys: set ${missing}, ` +
        'or HERALD_DEV_KEYS=1 to run on the public development keys anyway',
    );
  }
}

/**
 * Validates raw environment variables and returns Herald's typed config.
 * Throws a ConfigError naming every bad variable.
 */
export function validateEnv(raw: Record<string, unknown>): HeraldConfig {
  const picked: Record<string, unknown> = {};
  for (const key of ENV_VARIABLES) {
    if (raw[key] !== undefined) picked[key] = raw[key];
  }
  const env = plainToInstance(EnvironmentVariables, picked, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `${shown(e.property, picked[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const redisProblem = env.REDIS_URL === undefined ? undefined : redisUrlProblem(env.REDIS_URL);
  if (redisProblem) throw new ConfigError(`Invalid configuration:\n  ${shown('REDIS_URL', env.REDIS_URL)}: ${redisProblem}`);
  if (env.JWT_SECRET && env.JWT_PUBLIC_KEY) {
    throw new ConfigError('Invalid configuration: set JWT_SECRET or JWT_PUBLIC_KEY, not both');
  }
  const publicKey = env.JWT_PUBLIC_KEY?.replace(/\\n/g, '\n');
  if (publicKey && !/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(publicKey)) {
    throw new ConfigError('Invalid configuration: JWT_PUBLIC_KEY must be a PEM public key');
  }
  const apiKeys = splitList(env.SERVICE_API_KEYS);
  const devJwt = !env.JWT_SECRET && !publicKey;
  const devApiKeys = apiKeys.length === 0;
  if (devJwt || devApiKeys) refuseDevKeys(env.NODE_ENV, env.HERALD_DEV_KEYS, devJwt, devApiKeys);
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  return {
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    jwt: {
      algorithms: publicKey ? publicKeyAlgorithms(publicKey) : ['HS256'],
      secret: publicKey ? undefined : (env.JWT_SECRET ?? DEV_JWT_SECRET),
      publicKey,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      clockToleranceSec: env.JWT_CLOCK_TOLERANCE_SEC,
    },
    apiKeys: devApiKeys ? [DEV_API_KEY] : apiKeys,
    devKeys: { jwt: devJwt, apiKeys: devApiKeys },
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    ticketTtlMs: env.TICKET_TTL_MS,
    authTimeoutMs: env.AUTH_TIMEOUT_MS,
    heartbeatIntervalMs: env.HEARTBEAT_INTERVAL_MS,
    maxPayloadBytes: env.MAX_PAYLOAD_BYTES,
    maxBodyBytes: env.MAX_BODY_BYTES,
    maxConnections: env.MAX_CONNECTIONS,
    maxConnectionsPerUser: env.MAX_CONNECTIONS_PER_USER,
    allowedOrigins: splitList(env.ALLOWED_ORIGINS),
    rateLimitPerSec: env.RATE_LIMIT_PER_SEC,
    sendBufferMaxBytes: env.SEND_BUFFER_MAX_BYTES,
    historySize: env.HISTORY_SIZE,
    historyTtlMs: env.HISTORY_TTL_MS,
    idempotencyTtlMs: env.IDEMPOTENCY_TTL_MS,
    presenceTtlMs: env.PRESENCE_TTL_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    httpHeadersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    historyMaxStreams: env.HISTORY_MAX_STREAMS,
  };
}

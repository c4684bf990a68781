/** The validated, typed configuration every Herald component reads. Built once by `validateEnv`. */
export interface HeraldConfig {
  nodeEnv: string;
  port: number;
  host?: string;
  logLevel: string;
  jwt: {
    /** 'HS256' with a shared secret, or the algorithms a PEM public key allows. */
    algorithms: JwtAlgorithm[];
    secret?: string;
    publicKey?: string;
    issuer?: string;
    audience?: string;
    clockToleranceSec: number;
  };
  apiKeys: string[];
  /** True when JWT or API keys are Herald's built-in development ones. */
  devKeys: { jwt: boolean; apiKeys: boolean };
  redisUrl?: string;
  redisKeyPrefix: string;
  ticketTtlMs: number;
  authTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxPayloadBytes: number;
  maxBodyBytes: number;
  maxConnections: number;
  maxConnectionsPerUser: number;
  allowedOrigins: string[];
  rateLimitPerSec: number;
  sendBufferMaxBytes: number;
  historySize: number;
  historyTtlMs: number;
  idempotencyTtlMs: number;
  /** Redis presence entries live this long unless their instance refreshes them. */
  presenceTtlMs: number;
  shutdownTimeoutMs: number;
  /** The HTTP server's headersTimeout and requestTimeout (slowloris); a silent socket is closed after the first too. */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  /** Memory mode: at most this many streams keep their position; the least recently used idle one is forgotten first. */
  historyMaxStreams: number;
}

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export const HERALD_CONFIG = Symbol('HERALD_CONFIG');

/** Public on purpose: development only, refused with NODE_ENV=production. */
export const DEV_JWT_SECRET = 'herald-dev-secret-do-not-use-in-production';
export const DEV_API_KEY = 'herald-dev-api-key';

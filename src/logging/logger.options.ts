import type { FastifyInstance } from 'fastify';
import type { Params } from './logger.module.js';
import { destination, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { type HeraldConfig } from '../config/herald-config.js';
import { safeUrl } from './safe-url.js';

/**
 * Human-readable lines (pino-pretty) in development with a terminal on stdout;
 * JSON lines everywhere else: NODE_ENV=production (or test), and stdout piped to
 * a file, a container runtime or a log collector.
 */
export function logFormat(nodeEnv: string, stdoutIsTTY: boolean | undefined): 'pretty' | 'json' {
  return nodeEnv === 'development' && stdoutIsTTY === true ? 'pretty' : 'json';
}

function stdoutStream(config: HeraldConfig): DestinationStream {
  if (logFormat(config.nodeEnv, process.stdout.isTTY) === 'pretty') {
    return pretty({ destination: 1, sync: false, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  }
  // stdout written asynchronously: lines that come while a write is in flight go out together in the next
  // (pino flushes what is left when the process exits)
  return destination({ dest: 1, sync: false });
}

/**
 * Log lines on stdout (see logFormat); credentials are redacted wherever they could appear.
 * pino-http's per-request middleware is off (no routes): it built a child
 * logger, serialised every header and ran the request in an async context for
 * one line; registerAccessLog writes that line from a Fastify hook instead.
 */
export function loggerOptions(config: HeraldConfig, stream?: NodeJS.WritableStream): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      stream: stream ?? stdoutStream(config),
      autoLogging: false,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.token', '*.ticket'],
        censor: '[redacted]',
      },
    },
  };
}

const UNLOGGED = new Set(['/health/live', '/metrics']);

/** One `request completed` line (`event: http`) per HTTP request but probes and scrapes: method, URL with credentials redacted, status, time. */
export function registerAccessLog(fastify: FastifyInstance, logger: Logger): void {
  if (!logger.isLevelEnabled('info')) return;
  // pino-http's req/res serializers would rebuild these objects from Node's; they are already what is logged
  const same = (value: unknown) => value;
  const log = logger.child({}, { serializers: { req: same, res: same } });
  fastify.addHook('onResponse', (req, reply, done) => {
    // the URL as it came: Nest middleware rewrites raw.url
    const url = req.originalUrl;
    if (!UNLOGGED.has(url)) {
      log.info(
        { event: 'http', req: { id: req.id, method: req.method, url: safeUrl(url), remoteAddress: req.socket.remoteAddress }, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime) },
        'request completed',
      );
    }
    done();
  });
}

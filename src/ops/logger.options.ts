import type { Params } from './logging/logger.module.js';
import type { IncomingMessage } from 'node:http';
import { type HeraldConfig } from '../config/herald-config.js';
import { safeUrl } from '../realtime/access-log.js';

/** JSON lines on stdout; credentials are redacted wherever they could appear. */
export function loggerOptions(config: HeraldConfig, stream?: NodeJS.WritableStream): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      stream,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.token', '*.ticket'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: IncomingMessage & { id?: unknown }) => ({
          id: req.id,
          method: req.method,
          url: safeUrl(req.url),
          headers: req.headers,
          remoteAddress: req.socket?.remoteAddress,
        }),
      },
      autoLogging: { ignore: (req) => req.url === '/health/live' || req.url === '/metrics' },
    },
  };
}

import { BadRequestException, HttpException, Injectable, NestMiddleware, PayloadTooLargeException, UnauthorizedException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { MAX_DATA_DEPTH, nestedDeeperThan } from '../protocol/envelope.js';
import { reservedKeyMessage, reservedKeyPath } from '../protocol/reserved-keys.js';

/** Set on a raw request whose body is a service call's JSON (see JsonBodyMiddleware). */
const JSON_BODY = Symbol('herald.jsonBody');
type Marked = IncomingMessage & { [JSON_BODY]?: true };

/**
 * PROTOCOL §6 orders the answers 401, then 413, then 400. Nest middleware runs
 * before Fastify reads the body, so the service routes check the API key here
 * (ApiKeyGuard still guards the handlers themselves) and mark the request for
 * the JSON parser of registerJsonBodyParser, which runs next.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  constructor(private readonly apiKeys: ApiKeyGuard) {}

  use(req: IncomingMessage, _res: unknown, next: () => void): void {
    if (!this.apiKeys.check(req)) throw new UnauthorizedException('missing or invalid API key');
    wantsJsonBody(req);
    next();
  }
}

/** Marks a request whose body the parser must read as JSON (before parsing: middleware or an onRequest hook). */
export function wantsJsonBody(req: IncomingMessage): void {
  (req as Marked)[JSON_BODY] = true;
}

const notJson = () =>
  new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'body is not a JSON object', errors: [{ field: 'body', messages: ['body must be a JSON object'] }] });

/**
 * Service routes take their body as JSON whatever its Content-Type (curl -d
 * sends a form type), up to MAX_BODY_BYTES, objects and arrays only; other
 * routes' bodies are read and dropped. Replaces every parser Fastify has.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, maxBodyBytes: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: unknown) => void) => {
    const wanted = (request.raw as Marked)[JSON_BODY] === true;
    readBody(payload, maxBodyBytes, (err, raw) => {
      if (err) return done(err);
      if (!wanted) return done(null, undefined);
      try {
        done(null, parseJsonBody(raw!));
      } catch (error) {
        done(error as Error);
      }
    });
  });
}

/** JSON.parse once, with express.json's `strict` rule and the envelope's depth bound. */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return {}; // as express.json: an empty body is an empty object, then fails validation
  let i = 0;
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x09 || raw[i] === 0x0a || raw[i] === 0x0d)) i++;
  if (raw[i] !== 0x7b /* { */ && raw[i] !== 0x5b /* [ */) throw notJson();
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw notJson();
  }
  // the same bound as WebSocket `data`: class-transformer recurses, and a deep body would end as a 500
  if (nestedDeeperThan(body, MAX_DATA_DEPTH + 1)) {
    const messages = [`payload must not be nested more than ${MAX_DATA_DEPTH} levels deep`];
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'validation failed', errors: [{ field: 'payload', messages }] });
  }
  // a key only JSON.parse can make dangerous, spelled out or escaped: rare, so looked for in the bytes first
  const reserved = raw.includes('proto') || raw.includes('constructor') || raw.includes('\\u') ? reservedKeyPath(body, '') : undefined;
  if (reserved !== undefined) {
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'validation failed', errors: [{ field: reserved, messages: [reservedKeyMessage(reserved)] }] });
  }
  return body;
}


const tooLarge = () => new PayloadTooLargeException('body over MAX_BODY_BYTES');

/** Reads a request body of at most `limit` bytes (declared or chunked). */
function readBody(payload: IncomingMessage, limit: number, done: (err: HttpException | null, body?: Buffer) => void): void {
  const declared = payload.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return done(tooLarge());
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (err: HttpException | null, body?: Buffer) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(err, body);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) finish(tooLarge());
    else chunks.push(chunk);
  };
  const onEnd = () => finish(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  const onError = () => finish(new BadRequestException('request body could not be read'));
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
}

import { BadRequestException, HttpException, Inject, Injectable, NestMiddleware, PayloadTooLargeException, UnauthorizedException } from '@nestjs/common';
import express, { type Request, type Response } from 'express';
import { ApiKeyGuard, presentedApiKey } from '../auth/api-key.guard.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { MAX_DATA_DEPTH, nestedDeeperThan } from '../protocol/envelope.js';

/**
 * PROTOCOL §6 orders the answers 401, then 413, then 400. Body parsing runs
 * before Nest guards, so the service routes parse their JSON here, after the
 * API key is checked (ApiKeyGuard still guards the handlers themselves).
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: express.RequestHandler;

  constructor(
    @Inject(HERALD_CONFIG) config: HeraldConfig,
    private readonly apiKeys: ApiKeyGuard,
  ) {
    this.parse = express.json({ limit: config.maxBodyBytes, strict: true, type: () => true });
  }

  async use(req: Request, res: Response, next: () => void): Promise<void> {
    if (!this.apiKeys.isValid(presentedApiKey(req))) throw new UnauthorizedException('missing or invalid API key');
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    await new Promise<void>((resolve, reject) =>
      this.parse(req, res, (err?: unknown) => (err ? reject(toHttpError(err)) : resolve())),
    );
    // the same bound as WebSocket `data`: class-transformer recurses, and a deep body would end as a 500
    if (nestedDeeperThan(req.body, MAX_DATA_DEPTH + 1)) {
      const messages = [`payload must not be nested more than ${MAX_DATA_DEPTH} levels deep`];
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'validation failed', errors: [{ field: 'payload', messages }] });
    }
    next();
  }
}

function toHttpError(err: unknown): HttpException {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') return new PayloadTooLargeException('body over MAX_BODY_BYTES');
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'body is not a JSON object', errors: [{ field: 'body', messages: ['body must be a JSON object'] }] });
}

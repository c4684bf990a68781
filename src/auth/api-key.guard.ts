import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The API key of a request, from `Authorization: Bearer` or `X-API-Key`. */
export function presentedApiKey(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  return bearerToken(req.headers.authorization);
}

/** The credential of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 9110 §11.1). */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^bearer +(.*)$/i.exec(authorization ?? '');
  return match?.[1].trim() || undefined;
}

/** Service API keys (PROTOCOL §1), compared in constant time over fixed-length digests. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    this.keys = config.apiKeys.map(digest);
  }

  isValid(key: string | undefined): boolean {
    if (!key) return false;
    const presented = digest(key);
    let ok = false;
    for (const known of this.keys) ok = timingSafeEqual(presented, known) || ok;
    return ok;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.isValid(presentedApiKey(context.switchToHttp().getRequest()))) {
      throw new UnauthorizedException('missing or invalid API key');
    }
    return true;
  }
}

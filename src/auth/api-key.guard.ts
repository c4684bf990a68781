import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';

/** Set on a raw request once its API key was found valid: the guard does not check it a second time. */
const KEY_CHECKED = Symbol('herald.apiKeyChecked');

/** The API key of a request, from `Authorization: Bearer` or `X-API-Key`. */
function presentedApiKey(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  return bearerToken(req.headers.authorization);
}

/** The credential of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 9110 §11.1). */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization || authorization.length < 7 || authorization.charCodeAt(6) !== 0x20) return undefined;
  if ((authorization.charCodeAt(0) | 0x20) !== 0x62 || authorization.slice(1, 6).toLowerCase() !== 'earer') return undefined;
  return authorization.slice(7).trim() || undefined;
}

/**
 * Service API keys (PROTOCOL §1), compared in constant time: every key and the
 * presented one sit zero-padded in slots of one fixed width, compared whole
 * along with their lengths, with no allocation per request. A presented key
 * longer than the slot cannot match any configured key.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly width: number;
  private readonly known: Buffer[];
  private readonly lengths: number[];
  private readonly presented: Buffer;
  private readonly slot: Buffer;

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    const keys = config.apiKeys.map((k) => Buffer.from(k, 'utf8'));
    this.width = Math.max(64, ...keys.map((k) => k.length));
    this.known = keys.map((k) => Buffer.concat([k, Buffer.alloc(this.width - k.length)]));
    this.lengths = keys.map((k) => k.length);
    this.presented = Buffer.alloc(this.width + 1);
    this.slot = this.presented.subarray(0, this.width);
  }

  isValid(key: string | undefined): boolean {
    if (!key) return false;
    const { width, presented } = this;
    // one byte more than the slot: a longer key is seen as longer, never truncated into a match
    const length = presented.write(key, 0, width + 1, 'utf8');
    if (length <= width) presented.fill(0, length, width);
    let ok = false;
    for (let i = 0; i < this.known.length; i++) {
      const same = timingSafeEqual(this.slot, this.known[i]);
      ok = (same && length === this.lengths[i]) || ok;
    }
    return ok;
  }

  /** The middleware's check, remembered on the request. */
  check(req: IncomingMessage): boolean {
    if (!this.isValid(presentedApiKey(req))) return false;
    (req as IncomingMessage & { [KEY_CHECKED]?: true })[KEY_CHECKED] = true;
    return true;
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp().getRequest<{ raw?: IncomingMessage } & IncomingMessage>();
    const req = http.raw ?? http;
    if ((req as IncomingMessage & { [KEY_CHECKED]?: true })[KEY_CHECKED] || this.isValid(presentedApiKey(req))) return true;
    throw new UnauthorizedException('missing or invalid API key');
  }
}

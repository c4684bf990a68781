import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';

export interface UserClaims {
  sub: string;
  /** `exp` in ms since the epoch. */
  expiresAt: number;
  /** PROTOCOL §10: the channels (names, or prefixes ending in `*`) the user may subscribe to; absent unless an array of strings. */
  channels?: string[];
}

/** A subscription token's claims (PROTOCOL §10): the user and the one channel it grants. */
export interface SubscriptionClaims {
  sub: string;
  channel: string;
}

export class InvalidTokenError extends Error {}

/**
 * A fixed reason a client may read: jsonwebtoken's own messages echo the
 * configuration (`jwt audience invalid. expected: <JWT_AUDIENCE>`).
 */
function fixedReason(err: Error): string {
  if (err.name === 'TokenExpiredError') return 'token expired';
  if (err.name === 'NotBeforeError') return 'token not yet valid';
  const message = err.message ?? '';
  if (message.startsWith('jwt audience invalid')) return 'token audience not accepted';
  if (message.startsWith('jwt issuer invalid')) return 'token issuer not accepted';
  if (message === 'invalid signature') return 'invalid signature';
  if (message === 'invalid algorithm') return 'algorithm not accepted';
  if (message.startsWith('jwt malformed') || message.startsWith('invalid token')) return 'token malformed';
  return 'token rejected';
}

/**
 * Verifies user JWTs (PROTOCOL §1): algorithms pinned to the configured key
 * type, `exp` required, `nbf`/`iss`/`aud` honoured, a small clock tolerance.
 * The one place both REST and the gateways check a user token.
 */
@Injectable()
export class JwtVerifier {
  /**
   * Parsed once: given a string, jsonwebtoken re-parses the key on every verify
   * (and first tries a shared secret as a PEM, throwing), a third of a ticket's cost.
   */
  private readonly key: KeyObject;

  constructor(
    private readonly jwt: JwtService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {
    const { secret, publicKey } = config.jwt;
    this.key = publicKey ? createPublicKey(publicKey) : createSecretKey(Buffer.from(secret!));
  }

  async verify(token: unknown): Promise<UserClaims> {
    const payload = await this.verified(token);
    const { channels } = payload;
    const claims: UserClaims = { sub: payload.sub, expiresAt: payload.exp * 1000 };
    if (Array.isArray(channels) && channels.every((c) => typeof c === 'string')) claims.channels = channels;
    return claims;
  }

  /** A subscription token: signed with the user-JWT key and algorithm, checked by the same rules, carrying `channel`. */
  async verifySubscription(token: unknown): Promise<SubscriptionClaims> {
    const payload = await this.verified(token);
    if (typeof payload.channel !== 'string') throw new InvalidTokenError('token has no channel');
    return { sub: payload.sub, channel: payload.channel };
  }

  private async verified(token: unknown): Promise<Record<string, unknown> & { sub: string; exp: number }> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) {
      throw new InvalidTokenError('token missing or malformed');
    }
    const { jwt } = this.config;
    let payload: Record<string, unknown>;
    try {
      payload = await this.jwt.verifyAsync(token, {
        algorithms: jwt.algorithms,
        // KeyObject is what jsonwebtoken takes; @nestjs/jwt's types only name string | Buffer
        publicKey: this.key as unknown as string,
        ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
        ...(jwt.audience ? { audience: jwt.audience } : {}),
        clockTolerance: jwt.clockToleranceSec,
      });
    } catch (err) {
      throw new InvalidTokenError(fixedReason(err as Error));
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) {
      throw new InvalidTokenError('token has no sub');
    }
    if (typeof payload.exp !== 'number') throw new InvalidTokenError('token has no exp');
    return payload as Record<string, unknown> & { sub: string; exp: number };
  }
}

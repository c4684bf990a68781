import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { CloseCode, Frame, HeraldWsException } from '../protocol/envelope.js';
import { connectionOf } from '../connections/connection.js';
import { InvalidTokenError, JwtVerifier, UserClaims } from '../auth/jwt-verifier.service.js';

/** Frames that passed WsJwtGuard as an `auth` carry the verified claims here. */
export type AuthFrame = Frame & { claims: UserClaims };

/**
 * Guards every gateway handler (PROTOCOL §2.3–2.5). For `auth`, verifies the
 * JWT and that its `sub` is the ticket's; for anything else, requires an
 * authenticated connection. The only auth code the gateways have.
 */
@Injectable()
export class WsJwtGuard implements CanActivate {
  constructor(private readonly verifier: JwtVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ws = context.switchToWs();
    const conn = connectionOf(ws.getClient());
    const frame = ws.getData<Frame>();
    if (!conn) return false;
    if (frame.type !== 'auth') {
      if (!conn.authenticated) throw new HeraldWsException('unauthenticated', 'send auth first');
      return true;
    }
    // A failed first auth closes the connection; a failed refresh keeps the old identity.
    const closeCode = conn.authenticated ? undefined : CloseCode.UNAUTHORIZED;
    const token = (frame.data as { token?: unknown } | undefined)?.token;
    let claims: UserClaims;
    try {
      claims = await this.verifier.verify(token);
    } catch (err) {
      const reason = err instanceof InvalidTokenError ? err.message : 'token rejected';
      throw new HeraldWsException('unauthorized', `invalid token: ${reason}`, undefined, closeCode);
    }
    const expected = conn.userId ?? conn.ticketUserId;
    if (claims.sub !== expected) {
      throw new HeraldWsException('unauthorized', 'token sub does not match this connection', undefined, closeCode);
    }
    (frame as AuthFrame).claims = claims;
    return true;
  }
}

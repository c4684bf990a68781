import { Injectable } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { type AuthFrame } from './ws-jwt.guard.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { Connection } from '../connections/connection.js';
import { ConnectionLifecycle } from '../connections/connection-lifecycle.service.js';

/** The `auth_ok` fields of PROTOCOL §2.3, shared by both gateways. */
export interface AuthOk {
  connectionId: string;
  userId: string;
  expiresAt: number;
  heartbeatMs: number;
}

/** Completes an `auth` that WsJwtGuard verified: first auth or refresh, on either gateway. */
@Injectable()
export class GatewaySession {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly lifecycle: ConnectionLifecycle,
  ) {}

  async authenticate(conn: Connection, frame: AuthFrame): Promise<AuthOk> {
    await this.lifecycle.authenticate(conn, frame.claims.sub, frame.claims.expiresAt);
    return {
      connectionId: conn.id,
      userId: conn.userId!,
      expiresAt: conn.expiresAt!,
      heartbeatMs: this.config.heartbeatIntervalMs,
    };
  }
}

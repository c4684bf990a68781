import { UseFilters, UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { type AuthFrame, WsJwtGuard } from './ws-jwt.guard.js';
import { type Reply } from '../protocol/envelope.js';
import { AuthDto } from '../protocol/messages.dto.js';
import { WsErrorFilter } from '../connections/ws-exception.filter.js';
import { wsValidationPipe } from '../protocol/ws-validation.pipe.js';
import { connectionOf } from '../connections/connection.js';
import { StreamRecovery } from '../streams/stream-recovery.service.js';
import { GatewaySession } from './gateway-session.js';

/** `/notification` (PROTOCOL §5): server push with offsets, epochs and recovery. */
@WebSocketGateway({ path: '/notification' })
@UseGuards(WsJwtGuard)
@UseFilters(WsErrorFilter)
export class NotificationGateway {
  constructor(
    private readonly session: GatewaySession,
    private readonly recovery: StreamRecovery,
  ) {}

  @SubscribeMessage('auth')
  async auth(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: AuthFrame,
    @MessageBody('data', wsValidationPipe) data: AuthDto,
  ): Promise<Reply> {
    const conn = connectionOf(client)!;
    if (conn.authenticated) {
      // A refresh replays nothing; it reports where the connection's streams stand.
      const ok = await this.session.authenticate(conn, frame);
      return { type: 'auth_ok', data: { ...ok, streams: conn.streamPositions() } };
    }
    conn.parked = [];
    try {
      const ok = await this.session.authenticate(conn, frame);
      const { streams, recovered, flush } = await this.recovery.attach(conn, data.recover);
      return { type: 'auth_ok', data: { ...ok, streams, ...(recovered === undefined ? {} : { recovered }) }, afterSend: flush };
    } catch (err) {
      conn.parked = null;
      conn.close(1011, 'could not attach streams');
      throw err;
    }
  }

  @SubscribeMessage('ping')
  ping(): Reply {
    return { type: 'pong' };
  }
}

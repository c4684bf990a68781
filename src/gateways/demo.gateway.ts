import { UseFilters, UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { type AuthFrame, WsJwtGuard } from './ws-jwt.guard.js';
import { Frame, type Reply } from '../protocol/envelope.js';
import { AuthDto, BroadcastDto, DirectDto } from '../protocol/messages.dto.js';
import { WsErrorFilter } from '../connections/ws-exception.filter.js';
import { wsValidationPipe } from '../protocol/ws-validation.pipe.js';
import { BroadcastService } from '../streams/broadcast.service.js';
import { connectionOf } from '../connections/connection.js';
import { GatewaySession } from './gateway-session.js';

/** `/demo` (PROTOCOL §4): echo, broadcast and direct messages between users. */
@WebSocketGateway({ path: '/demo' })
@UseGuards(WsJwtGuard)
@UseFilters(WsErrorFilter)
export class DemoGateway {
  constructor(
    private readonly session: GatewaySession,
    private readonly broadcast: BroadcastService,
  ) {}

  @SubscribeMessage('auth')
  async auth(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: AuthFrame,
    @MessageBody('data', wsValidationPipe) _data: AuthDto,
  ): Promise<Reply> {
    return { type: 'auth_ok', data: await this.session.authenticate(connectionOf(client)!, frame) };
  }

  @SubscribeMessage('echo')
  echo(@MessageBody('data') data: unknown): Reply {
    return { type: 'echo', data };
  }

  @SubscribeMessage('broadcast')
  async broadcastMessage(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: Frame,
    @MessageBody('data', wsValidationPipe) data: BroadcastDto,
  ): Promise<Reply | undefined> {
    const from = connectionOf(client)!.userId;
    await this.broadcast.toGateway('demo', 'broadcast', { from, text: data.text });
    return frame.id === undefined ? undefined : { type: 'ack' };
  }

  @SubscribeMessage('direct')
  async direct(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: Frame,
    @MessageBody('data', wsValidationPipe) data: DirectDto,
  ): Promise<Reply | undefined> {
    const from = connectionOf(client)!.userId;
    await this.broadcast.toUsers('demo', [data.to], 'direct', { from, text: data.text });
    return frame.id === undefined ? undefined : { type: 'ack' };
  }

  @SubscribeMessage('ping')
  ping(): Reply {
    return { type: 'pong' };
  }
}

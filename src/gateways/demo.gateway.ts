import { UseFilters, UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { connectionOf } from '../connections/connection.js';
import { WsErrorFilter } from '../connections/ws-exception.filter.js';
import { CloseCode, Frame, type Reply } from '../protocol/envelope.js';
import { AuthDto, BroadcastDto, DirectDto } from '../protocol/messages.dto.js';
import { wsValidationPipe } from '../protocol/ws-validation.pipe.js';
import { BroadcastService } from '../streams/broadcast.service.js';
import { streamName } from '../streams/stream-names.js';
import { StreamSubscriptions } from '../streams/stream-subscriptions.service.js';
import { GatewaySession } from './gateway-session.js';
import { type AuthFrame, WsJwtGuard } from './ws-jwt.guard.js';

const PATH = '/demo';

/** `/demo` (PROTOCOL §4): echo, broadcast and direct messages between users. */
@WebSocketGateway({ path: PATH })
@UseGuards(WsJwtGuard)
@UseFilters(WsErrorFilter)
export class DemoGateway {
  constructor(
    private readonly session: GatewaySession,
    private readonly broadcast: BroadcastService,
    private readonly subscriptions: StreamSubscriptions,
  ) {}

  @SubscribeMessage('auth')
  async auth(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: AuthFrame,
    @MessageBody('data', wsValidationPipe) _data: AuthDto,
  ): Promise<Reply | undefined> {
    const conn = connectionOf(client)!;
    const refresh = conn.authenticated;
    const ok = await this.session.authenticate(conn, frame);
    if (refresh) return { type: 'auth_ok', data: ok };
    // the gateway's and the user's own fan-outs: plain streams, nothing to recover
    let opened;
    try {
      opened = await this.subscriptions.open(conn, [
        { stream: streamName.gateway(PATH), kind: 'plain' },
        { stream: streamName.direct(PATH, conn.userId!), kind: 'plain' },
      ]);
    } catch (err) {
      conn.close(CloseCode.INTERNAL_ERROR, 'could not attach streams');
      throw err;
    }
    conn.reply('auth_ok', ok, frame.id);
    this.subscriptions.resume(opened);
    return undefined;
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
    await this.broadcast.toGateway(PATH, 'broadcast', { from, text: data.text });
    return frame.id === undefined ? undefined : { type: 'ack' };
  }

  @SubscribeMessage('direct')
  async direct(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: Frame,
    @MessageBody('data', wsValidationPipe) data: DirectDto,
  ): Promise<Reply | undefined> {
    const from = connectionOf(client)!.userId;
    await this.broadcast.toUsers(PATH, [data.to], 'direct', { from, text: data.text });
    return frame.id === undefined ? undefined : { type: 'ack' };
  }

  @SubscribeMessage('ping')
  ping(): Reply {
    return { type: 'pong' };
  }
}

import { UseFilters, UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { SubscribeDto, UnsubscribeDto } from '../channels/channel.dto.js';
import { ChannelsService } from '../channels/channels.service.js';
import { connectionOf } from '../connections/connection.js';
import { WsErrorFilter } from '../connections/ws-exception.filter.js';
import { CloseCode, Frame, type Reply } from '../protocol/envelope.js';
import { AuthDto } from '../protocol/messages.dto.js';
import { wsValidationPipe } from '../protocol/ws-validation.pipe.js';
import { streamName } from '../streams/stream-names.js';
import { StreamSubscriptions } from '../streams/stream-subscriptions.service.js';
import { GatewaySession } from './gateway-session.js';
import { type AuthFrame, WsJwtGuard } from './ws-jwt.guard.js';

/**
 * `/notification` (PROTOCOL §5, §10): server push with offsets, epochs and
 * recovery, on the user's and the broadcast stream and on channels. Replies
 * that open streams are sent here, then the replay (StreamSubscriptions.resume):
 * the reply always comes first.
 */
@WebSocketGateway({ path: '/notification' })
@UseGuards(WsJwtGuard)
@UseFilters(WsErrorFilter)
export class NotificationGateway {
  constructor(
    private readonly session: GatewaySession,
    private readonly subscriptions: StreamSubscriptions,
    private readonly channels: ChannelsService,
  ) {}

  @SubscribeMessage('auth')
  async auth(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: AuthFrame,
    @MessageBody('data', wsValidationPipe) data: AuthDto,
  ): Promise<Reply | undefined> {
    const conn = connectionOf(client)!;
    const refresh = conn.authenticated;
    const ok = await this.session.authenticate(conn, frame);
    this.channels.authenticated(conn, frame.claims.channels);
    const user = streamName.user(conn.userId!);
    if (refresh) {
      // A refresh replays nothing; it reports where the connection's streams stand.
      const streams: Record<string, { offset: number; epoch: string }> = {};
      for (const sub of this.subscriptions.of(conn)) {
        if (sub.kind === 'user' || sub.kind === 'broadcast') streams[sub.kind] = { offset: sub.offset, epoch: sub.epoch };
      }
      return { type: 'auth_ok', data: { ...ok, streams } };
    }
    let opened;
    try {
      opened = await this.subscriptions.open(conn, [
        { stream: user, kind: 'user', recover: data.recover?.user },
        { stream: streamName.broadcast(), kind: 'broadcast', recover: data.recover?.broadcast },
      ]);
    } catch (err) {
      conn.close(CloseCode.INTERNAL_ERROR, 'could not attach streams');
      throw err;
    }
    const [userPos, broadcastPos] = opened.positions;
    const recovered = data.recover ? opened.recovered.every((r) => r !== false) : undefined;
    conn.reply('auth_ok', { ...ok, streams: { user: userPos, broadcast: broadcastPos }, ...(recovered === undefined ? {} : { recovered }) }, frame.id);
    this.subscriptions.resume(opened);
    return undefined;
  }

  @SubscribeMessage('subscribe')
  async subscribe(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: Frame,
    @MessageBody('data', wsValidationPipe) data: SubscribeDto,
  ): Promise<undefined> {
    const conn = connectionOf(client)!;
    const { data: subscribed, opened } = await this.channels.subscribe(conn, data);
    conn.reply('subscribed', subscribed, frame.id);
    if (opened) this.subscriptions.resume(opened);
    return undefined;
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() client: WebSocket, @MessageBody('data', wsValidationPipe) data: UnsubscribeDto): Reply {
    this.channels.unsubscribe(connectionOf(client)!, data.channel);
    return { type: 'unsubscribed', data: { channel: data.channel } };
  }

  @SubscribeMessage('ping')
  ping(): Reply {
    return { type: 'pong' };
  }
}

import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BROKER, type Broker, Publication } from '../broker/broker.js';
import { encode } from '../protocol/envelope.js';
import { MetricsService } from '../ops/metrics.service.js';
import { Connection, GatewayName, StreamName } from './connection.js';
import { ConnectionRegistry } from './connection.registry.js';

/** What a notification carries before the broker gives it an offset (PROTOCOL §5). */
export interface NotificationBody {
  id: string;
  event: string;
  payload: Record<string, unknown>;
  ts: number;
}

/** Broker channel names. User ids may hold any character, so they always come last. */
const Channel = {
  gateway: (g: GatewayName) => `gw:${g}`,
  user: (g: GatewayName, userId: string) => `to:${g}:${userId}`,
  stream: (stream: StreamName, userId?: string) => (stream === 'user' ? `n:user:${userId}` : 'n:broadcast'),
};

/**
 * The one path for every outbound message: REST or gateway → here → broker →
 * every instance's `deliver` → its local sockets. Each publication is encoded
 * once per instance and the same Buffer goes to every socket.
 */
@Injectable()
export class BroadcastService implements OnModuleInit {
  private readonly log = new Logger('BroadcastService');

  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.broker.onPublication((pub) => this.deliver(pub));
  }

  /** Every authenticated connection of `gateway`, on every instance. */
  async toGateway(gateway: GatewayName, type: string, data: unknown): Promise<void> {
    await this.publish(Channel.gateway(gateway), encode(type, data).toString());
  }

  /** Every connection of each of `userIds` on `gateway`, on every instance. */
  async toUsers(gateway: GatewayName, userIds: string[], type: string, data: unknown): Promise<void> {
    const frame = encode(type, data).toString();
    await Promise.all(userIds.map((userId) => this.publish(Channel.user(gateway, userId), frame)));
  }

  /** Appends to each user's notification stream (with history) and delivers. */
  async notifyUsers(userIds: string[], body: NotificationBody): Promise<void> {
    const data = JSON.stringify(body);
    await Promise.all(userIds.map((userId) => this.publish(Channel.stream('user', userId), data, true)));
    this.metrics.notificationsPublished.inc({ target: 'users' });
  }

  /** Appends to the broadcast notification stream and delivers to every `/notification` connection. */
  async notifyAll(body: NotificationBody): Promise<void> {
    await this.publish(Channel.stream('broadcast'), JSON.stringify(body), true);
    this.metrics.notificationsPublished.inc({ target: 'broadcast' });
  }

  /** The channel of a connection's notification stream, for history reads. */
  streamChannel(stream: StreamName, userId: string): string {
    return Channel.stream(stream, userId);
  }

  /** Encodes a stream publication as the `notification` frame of PROTOCOL §5. */
  notificationFrame(stream: StreamName, pub: Publication): Buffer {
    const body = JSON.parse(pub.data) as NotificationBody;
    return encode('notification', { ...body, stream, offset: pub.offset, epoch: pub.epoch });
  }

  /**
   * Sends a stream publication to one connection in offset order: parked
   * while the connection recovers, dropped when already delivered.
   */
  deliverToStream(conn: Connection, stream: StreamName, pub: Publication, frame: Buffer): void {
    if (conn.parked) {
      conn.parked.push(() => this.deliverToStream(conn, stream, pub, frame));
      return;
    }
    const last = conn.positions.get(stream);
    if (last && last.epoch === pub.epoch && pub.offset! <= last.offset) return;
    conn.positions.set(stream, { offset: pub.offset!, epoch: pub.epoch! });
    if (conn.send(frame)) this.metrics.messagesOut.inc({ gateway: conn.gateway, type: 'notification' });
  }

  private async publish(channel: string, data: string, history = false): Promise<void> {
    const end = this.metrics.brokerPublishSeconds.startTimer();
    try {
      await this.broker.publish(channel, data, { history });
    } finally {
      end();
    }
  }

  private deliver(pub: Publication): void {
    const end = this.metrics.fanoutSeconds.startTimer();
    try {
      this.route(pub);
    } catch (err) {
      this.log.error({ err, channel: pub.channel }, 'fan-out failed');
    } finally {
      end();
    }
  }

  private route(pub: Publication): void {
    const { channel } = pub;
    if (channel === 'n:broadcast') {
      const frame = this.notificationFrame('broadcast', pub);
      for (const conn of this.registry.onGateway('notification')) this.deliverToStream(conn, 'broadcast', pub, frame);
    } else if (channel.startsWith('n:user:')) {
      const conns = this.registry.ofUser(channel.slice('n:user:'.length), 'notification');
      if (conns.length === 0) return;
      const frame = this.notificationFrame('user', pub);
      for (const conn of conns) this.deliverToStream(conn, 'user', pub, frame);
    } else if (channel.startsWith('gw:')) {
      this.sendAll(this.registry.onGateway(channel.slice(3) as GatewayName), pub.data, 'broadcast');
    } else if (channel.startsWith('to:')) {
      const [, gateway, ...rest] = channel.split(':');
      this.sendAll(this.registry.ofUser(rest.join(':'), gateway as GatewayName), pub.data, 'direct');
    }
  }

  private sendAll(conns: Iterable<Connection>, data: string, kind: string): void {
    let frame: Buffer | undefined;
    let gateway: GatewayName | undefined;
    let sent = 0;
    for (const conn of conns) {
      frame ??= Buffer.from(data);
      gateway = conn.gateway;
      if (conn.send(frame)) sent++;
    }
    if (gateway && sent > 0) this.metrics.messagesOut.inc({ gateway, type: kind }, sent);
  }
}

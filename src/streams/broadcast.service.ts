import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BROKER, type Broker, Publication, type PublishOptions } from '../broker/broker.js';
import { encode } from '../protocol/envelope.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { Connection, GatewayName, StreamName } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { StreamInterest } from './stream-interest.js';
import { TurnBatcher } from '../common/turn-batcher.js';
import { textFrame } from '../connections/ws-frame.js';

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
  stream: (stream: StreamName, userId?: string) => (stream === 'user' ? `n:user:${userId}` : BROADCAST_STREAM),
};
const BROADCAST_STREAM = 'n:broadcast';

/** Every stream fan-out goes to `/notification` sockets. */
const NOTIFICATION_OUT = { gateway: 'notification', type: 'notification' } as const;

/**
 * The one path for every outbound message: REST or gateway → here → broker →
 * every instance's `deliver` → its local sockets. Each publication is encoded
 * and framed once per instance and the same bytes go to every socket.
 */
@Injectable()
export class BroadcastService implements OnModuleInit {
  private readonly log = new Logger('BroadcastService');

  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: MetricsService,
  ) {}

  /** Broadcast notifications wait for the end of the turn: those landing together go out in one write per socket. */
  private readonly broadcasts = new TurnBatcher<Publication>((pubs) => this.deliverBroadcasts(pubs));

  onModuleInit(): void {
    this.broker.onPublication((pub) => (pub.stream === BROADCAST_STREAM ? this.broadcasts.push(pub) : this.deliver(pub)));
  }

  private readonly interest = new StreamInterest(this.broker);

  private streamsOf(conn: Connection): string[] {
    const userId = conn.userId!;
    return conn.gateway === 'notification'
      ? [Channel.stream('user', userId), BROADCAST_STREAM]
      : [Channel.gateway(conn.gateway), Channel.user(conn.gateway, userId)];
  }

  /** An authenticated connection's streams are held: this instance receives their publications. */
  async hold(conn: Connection): Promise<void> {
    await Promise.all(this.streamsOf(conn).map((stream) => this.interest.hold(stream)));
  }

  release(conn: Connection): void {
    for (const stream of this.streamsOf(conn)) this.interest.release(stream);
  }

  /** Every authenticated connection of `gateway`, on every instance. */
  async toGateway(gateway: GatewayName, type: string, data: unknown): Promise<void> {
    await this.publish([Channel.gateway(gateway)], encode(type, data).toString());
  }

  /** Every connection of each of `userIds` on `gateway`, on every instance. */
  async toUsers(gateway: GatewayName, userIds: string[], type: string, data: unknown): Promise<void> {
    const frame = encode(type, data).toString();
    await this.publish(userIds.map((userId) => Channel.user(gateway, userId)), frame);
  }

  /** Appends to each user's notification stream (with history) and delivers. */
  async notifyUsers(userIds: string[], body: NotificationBody, idempotency?: PublishOptions['idempotency']): Promise<void> {
    const data = JSON.stringify(body);
    await this.publish(userIds.map((userId) => Channel.stream('user', userId)), data, true, idempotency);
    this.metrics.notificationsPublished.inc({ target: 'users' });
  }

  /** Appends to the broadcast notification stream and delivers to every `/notification` connection. */
  async notifyAll(body: NotificationBody, idempotency?: PublishOptions['idempotency']): Promise<void> {
    await this.publish([BROADCAST_STREAM], JSON.stringify(body), true, idempotency);
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
    if (this.deliverOne(conn, stream, pub, frame)) this.metrics.messagesOut.inc(NOTIFICATION_OUT);
  }

  /** The per-socket step of a fan-out: no allocation unless parked; counting is the caller's. */
  private deliverOne(conn: Connection, stream: StreamName, pub: Publication, frame: Buffer, wire?: Buffer): boolean {
    if (conn.parked !== null) {
      conn.parked.push(() => this.deliverToStream(conn, stream, pub, frame));
      return false;
    }
    return conn.advance(stream, pub.offset!, pub.epoch!) && conn.send(frame, wire);
  }

  /** Encodes and frames once, writes the same bytes to every socket, counts once. */
  private fanOutStream(conns: Iterable<Connection>, stream: StreamName, pub: Publication): void {
    let frame: Buffer | undefined;
    let wire: Buffer | undefined;
    let sent = 0;
    for (const conn of conns) {
      if (frame === undefined) {
        frame = this.notificationFrame(stream, pub);
        wire = textFrame(frame);
      }
      if (this.deliverOne(conn, stream, pub, frame, wire)) sent++;
    }
    if (sent > 0) this.metrics.messagesOut.inc(NOTIFICATION_OUT, sent);
  }

  /** One turn's broadcast notifications, in offset order: framed together once, one write per socket. */
  private deliverBroadcasts(pubs: Publication[]): void {
    const { epoch } = pubs[0];
    const inOrder = pubs.every((pub, i) => pub.epoch === epoch && (i === 0 || pub.offset! > pubs[i - 1].offset!));
    if (pubs.length === 1 || !inOrder) return pubs.forEach((pub) => this.deliver(pub));
    const end = this.metrics.fanoutSeconds.startTimer();
    try {
      const frames = pubs.map((pub) => this.notificationFrame('broadcast', pub));
      const wire = Buffer.concat(frames.map(textFrame));
      const bytes = frames.reduce((n, frame) => n + frame.length, 0);
      const first = pubs[0].offset!;
      const last = pubs[pubs.length - 1].offset!;
      let sent = 0;
      for (const conn of this.registry.onGateway('notification')) {
        if (conn.parked === null && conn.isBehind('broadcast', first, epoch!)) {
          conn.setPosition('broadcast', last, epoch!);
          if (conn.sendBatch(frames, wire, bytes)) sent += frames.length;
        } else {
          for (let i = 0; i < pubs.length; i++) if (this.deliverOne(conn, 'broadcast', pubs[i], frames[i])) sent++;
        }
      }
      if (sent > 0) this.metrics.messagesOut.inc(NOTIFICATION_OUT, sent);
    } catch (err) {
      this.log.error({ err, channel: BROADCAST_STREAM }, 'fan-out failed');
    } finally {
      end();
    }
  }

  private async publish(streams: string[], data: string, history = false, idempotency?: PublishOptions['idempotency']): Promise<void> {
    const end = this.metrics.brokerPublishSeconds.startTimer();
    try {
      await this.broker.publish(streams, data, { history, idempotency });
    } finally {
      end();
    }
  }

  private deliver(pub: Publication): void {
    const end = this.metrics.fanoutSeconds.startTimer();
    try {
      this.route(pub);
    } catch (err) {
      this.log.error({ err, stream: pub.stream }, 'fan-out failed');
    } finally {
      end();
    }
  }

  private route(pub: Publication): void {
    const channel = pub.stream;
    if (channel === BROADCAST_STREAM) {
      this.fanOutStream(this.registry.onGateway('notification'), 'broadcast', pub);
    } else if (channel.startsWith('n:user:')) {
      this.fanOutStream(this.registry.ofUser(channel.slice('n:user:'.length), 'notification'), 'user', pub);
    } else if (channel.startsWith('gw:')) {
      this.sendAll(this.registry.onGateway(channel.slice(3) as GatewayName), pub.data, 'broadcast');
    } else if (channel.startsWith('to:')) {
      const [, gateway, ...rest] = channel.split(':');
      this.sendAll(this.registry.ofUser(rest.join(':'), gateway as GatewayName), pub.data, 'direct');
    }
  }

  private sendAll(conns: Iterable<Connection>, data: string, kind: string): void {
    let frame: Buffer | undefined;
    let wire: Buffer | undefined;
    let gateway: GatewayName | undefined;
    let sent = 0;
    for (const conn of conns) {
      if (frame === undefined) {
        frame = Buffer.from(data);
        wire = textFrame(frame);
      }
      gateway = conn.gateway;
      if (conn.send(frame, wire)) sent++;
    }
    if (gateway && sent > 0) this.metrics.messagesOut.inc({ gateway, type: kind }, sent);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { BROKER, type Broker, type PublishOptions } from '../broker/broker.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { encode } from '../protocol/envelope.js';
import { encodeBody, type NotificationBody } from './notification-frame.js';
import { streamName } from './stream-names.js';

export type { NotificationBody };

type Idempotency = PublishOptions['idempotency'];

/**
 * The publisher: what REST and the gateways call to send anything. Every
 * message goes to the broker and from there to every instance holding its
 * stream (StreamDispatcher), this one included; nothing is delivered here
 * directly. A notification to many streams is one atomic publication.
 */
@Injectable()
export class BroadcastService {
  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    private readonly metrics: MetricsService,
  ) {}

  /** Every authenticated connection of the gateway at `path`, on every instance (no history). */
  async toGateway(path: string, type: string, data: unknown): Promise<void> {
    await this.publish([streamName.gateway(path)], encode(type, data).toString(), { history: false });
  }

  /** Every connection of each of `userIds` on the gateway at `path`, on every instance (no history). */
  async toUsers(path: string, userIds: string[], type: string, data: unknown): Promise<void> {
    const streams = userIds.map((userId) => streamName.direct(path, userId));
    await this.publish(streams, encode(type, data).toString(), { history: false });
  }

  /** Appends to each user's notification stream (PROTOCOL §5), all or none. */
  async notifyUsers(userIds: string[], body: NotificationBody, idempotency?: Idempotency): Promise<void> {
    await this.publish(userIds.map(streamName.user), encodeBody(body), { history: true, idempotency });
    this.metrics.notificationsPublished.inc({ target: 'users' });
  }

  /** Appends to the broadcast notification stream: every `/notification` connection. */
  async notifyAll(body: NotificationBody, idempotency?: Idempotency): Promise<void> {
    await this.publish([streamName.broadcast()], encodeBody(body), { history: true, idempotency });
    this.metrics.notificationsPublished.inc({ target: 'broadcast' });
  }

  /** Appends to each channel's stream (PROTOCOL §10), all or none. */
  async notifyChannels(channels: string[], body: NotificationBody, idempotency?: Idempotency): Promise<void> {
    await this.publish(channels.map(streamName.channel), encodeBody(body), { history: true, idempotency });
    this.metrics.notificationsPublished.inc({ target: 'channels' });
  }

  private async publish(streams: string[], data: string, options: PublishOptions): Promise<void> {
    const end = this.metrics.brokerPublishSeconds.startTimer();
    try {
      await this.broker.publish(streams, data, options);
    } finally {
      end();
    }
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { BroadcastService, NotificationBody } from '../streams/broadcast.service.js';
import { BroadcastNotificationDto, ChannelNotificationDto, UserNotificationDto } from './notification.dto.js';
import { publishOnce } from './publish-outcome.js';

/** REST notifications (PROTOCOL §6): one atomic publish, its idempotency key claimed in the same step. */
@Injectable()
export class NotificationsService {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly broadcast: BroadcastService,
  ) {}

  notifyUsers(dto: UserNotificationDto): Promise<string> {
    const userIds = [...new Set(dto.userIds)];
    return this.accept('users', dto, (body, idem) => this.broadcast.notifyUsers(userIds, body, idem));
  }

  notifyAll(dto: BroadcastNotificationDto): Promise<string> {
    return this.accept('broadcast', dto, (body, idem) => this.broadcast.notifyAll(body, idem));
  }

  notifyChannels(dto: ChannelNotificationDto): Promise<string> {
    const channels = [...new Set(dto.channels)];
    return this.accept('channels', dto, (body, idem) => this.broadcast.notifyChannels(channels, body, idem));
  }

  private accept(
    endpoint: string,
    dto: BroadcastNotificationDto,
    publish: (body: NotificationBody, idempotency?: { key: string; id: string; ttlMs: number }) => Promise<void>,
  ): Promise<string> {
    const id = randomUUID();
    const body = { id, event: dto.event, payload: dto.payload ?? {}, ts: Date.now() };
    return publishOnce(id, { endpoint, idempotencyKey: dto.idempotencyKey, ttlMs: this.config.idempotencyTtlMs }, (idem) => publish(body, idem));
  }
}

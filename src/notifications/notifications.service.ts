import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IDEMPOTENCY, type IdempotencyStore } from '../broker/broker.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { BroadcastService, NotificationBody } from '../streams/broadcast.service.js';
import { BroadcastNotificationDto, UserNotificationDto } from './notification.dto.js';

/** REST notifications (PROTOCOL §6): idempotency, then one publish through BroadcastService. */
@Injectable()
export class NotificationsService {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(IDEMPOTENCY) private readonly idempotency: IdempotencyStore,
    private readonly broadcast: BroadcastService,
  ) {}

  notifyUsers(dto: UserNotificationDto): Promise<string> {
    const userIds = [...new Set(dto.userIds)];
    return this.accept('users', dto, (body) => this.broadcast.notifyUsers(userIds, body));
  }

  notifyAll(dto: BroadcastNotificationDto): Promise<string> {
    return this.accept('broadcast', dto, (body) => this.broadcast.notifyAll(body));
  }

  private async accept(
    endpoint: string,
    dto: BroadcastNotificationDto,
    publish: (body: NotificationBody) => Promise<void>,
  ): Promise<string> {
    const id = randomUUID();
    const key = dto.idempotencyKey && `idem:${endpoint}:${dto.idempotencyKey}`;
    try {
      if (key) {
        const first = await this.idempotency.claim(key, id, this.config.idempotencyTtlMs);
        if (first) return first;
      }
      await publish({ id, event: dto.event, payload: dto.payload ?? {}, ts: Date.now() });
    } catch (err) {
      if (key) await this.idempotency.release(key).catch(() => undefined);
      throw new ServiceUnavailableException('broker unavailable; nothing was delivered', { cause: err });
    }
    return id;
  }
}

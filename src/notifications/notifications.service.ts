import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IDEMPOTENCY, type IdempotencyStore } from '../broker/broker.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { BroadcastService, NotificationBody } from '../realtime/broadcast.service.js';
import { BroadcastNotificationDto, UserNotificationDto } from './notification.dto.js';

/** REST notifications (PROTOCOL §6): idempotency, then one publish through BroadcastService. */
@Injectable()
export class NotificationsService {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(IDEMPOTENCY) private readonly idempotency: IdempotencyStore,
    private readonly broadcast: BroadcastService,
  ) {}

  notifyUsers(dto: UserNotificationDto, endpoint: 'users' | 'batch' = 'users'): Promise<string> {
    const userIds = dto.userIds.length === 1 ? dto.userIds : [...new Set(dto.userIds)];
    return this.accept(endpoint, dto, (body) => this.broadcast.notifyUsers(userIds, body));
  }

  notifyAll(dto: BroadcastNotificationDto): Promise<string> {
    return this.accept('broadcast', dto, (body) => this.broadcast.notifyAll(body));
  }

  /**
   * POST /notifications/batch: one id per item, in order. Items run side by side
   * (the broker pipelines their publishes); an idempotencyKey repeated within
   * the batch answers the first item's id, one seen before answers its first id.
   * When the broker fails, the items it did take keep their keys, so retrying the
   * whole batch with the same keys delivers only what is missing.
   */
  async notifyBatch(items: UserNotificationDto[]): Promise<string[]> {
    const firstOfKey = new Map<string, number>();
    const ids = new Array<string>(items.length);
    const accepted = items.map((item, i) => {
      const key = item.idempotencyKey;
      const first = key === undefined ? undefined : firstOfKey.get(key);
      if (first !== undefined) return undefined;
      if (key !== undefined) firstOfKey.set(key, i);
      return this.notifyUsers(item, 'batch').then(
        (id) => void (ids[i] = id),
        (err: unknown) => err,
      );
    });
    const failures = (await Promise.all(accepted)).filter((err) => err !== undefined);
    if (failures.length > 0) {
      throw new ServiceUnavailableException('broker unavailable; some items may not have been delivered: retry the batch with the same idempotencyKeys', { cause: failures[0] });
    }
    for (let i = 0; i < items.length; i++) {
      const key = items[i].idempotencyKey;
      if (ids[i] === undefined && key !== undefined) ids[i] = ids[firstOfKey.get(key)!];
    }
    return ids;
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

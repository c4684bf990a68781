import { HttpException, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
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

  notifyUsers(dto: UserNotificationDto, endpoint: 'users' | 'batch' = 'users'): Promise<string> {
    const userIds = dto.userIds.length === 1 ? dto.userIds : [...new Set(dto.userIds)];
    return this.accept(endpoint, dto, (body, idem) => this.broadcast.notifyUsers(userIds, body, idem));
  }

  notifyAll(dto: BroadcastNotificationDto): Promise<string> {
    return this.accept('broadcast', dto, (body, idem) => this.broadcast.notifyAll(body, idem));
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
      const unknown = failures.some((err) => err instanceof HttpException && (err.getResponse() as { outcome?: string }).outcome === 'unknown');
      throw new ServiceUnavailableException(
        {
          statusCode: 503,
          error: 'Service Unavailable',
          outcome: unknown ? 'unknown' : 'partial',
          message: 'broker unavailable; some items may not have been delivered: retry the batch with the same idempotencyKeys',
        },
        { cause: failures[0] },
      );
    }
    for (let i = 0; i < items.length; i++) {
      const key = items[i].idempotencyKey;
      if (ids[i] === undefined && key !== undefined) ids[i] = ids[firstOfKey.get(key)!];
    }
    return ids;
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

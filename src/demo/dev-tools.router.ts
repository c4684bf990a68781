import { JwtService } from '@nestjs/jwt';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min, validateSync } from 'class-validator';
import express, { type Request, type Response, type Router } from 'express';
import type { PresenceManager } from '../broker/broker.js';
import { CHANNEL_PATTERN, CHANNEL_RULE, isChannelName } from '../channels/channel-name.js';
import type { HeraldConfig } from '../config/herald-config.js';
import { BroadcastNotificationDto, ChannelNotificationDto, UserNotificationDto } from '../notifications/notification.dto.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import { fieldErrors } from '../protocol/envelope.js';

class DevTokenDto {
  @IsString()
  @Length(1, 256)
  userId: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  ttlSec?: number;

  /** With a channel: a subscription token for it (PROTOCOL §10), as an app backend would issue. */
  @IsOptional()
  @Matches(CHANNEL_PATTERN, { message: CHANNEL_RULE })
  channel?: string;
}

function validated<T extends object>(cls: new () => T, body: unknown, res: Response): T | undefined {
  const dto = plainToInstance(cls, body ?? {});
  const errors = validateSync(dto, { forbidUnknownValues: false });
  if (errors.length === 0) return dto;
  res.status(400).json({ statusCode: 400, message: 'validation failed', errors: fieldErrors(errors) });
  return undefined;
}

/**
 * Development-only helpers for the demo page: `POST /dev/token` mints a user
 * JWT (or, with `channel`, a subscription token) with the built-in dev secret,
 * `POST /dev/notify` sends a notification without an API key (to a user, a
 * channel or everyone), `GET /dev/presence/:userId` and
 * `GET /dev/channels/:channel/presence` answer like their API-key
 * counterparts. Mounted only when demoPageEnabled(config).
 */
export function devToolsRouter(config: HeraldConfig, notifications: NotificationsService, presence: PresenceManager): Router {
  const jwt = new JwtService();
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }));

  router.post('/dev/token', (req: Request, res: Response) => {
    const dto = validated(DevTokenDto, req.body, res);
    if (!dto) return;
    const ttlSec = dto.ttlSec ?? 3600;
    const token = jwt.sign(
      dto.channel === undefined ? { sub: dto.userId } : { sub: dto.userId, channel: dto.channel },
      {
        secret: config.jwt.secret,
        algorithm: 'HS256',
        expiresIn: ttlSec,
        ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
        ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
      },
    );
    const { exp } = jwt.decode(token) as { exp: number };
    res.status(201).json({ token, expiresAt: exp * 1000 });
  });

  /** `{"userId": "bob", "event"?, "payload"?}` notifies one user; `{"channel"}` a channel; with neither, everyone. */
  router.post('/dev/notify', async (req: Request, res: Response) => {
    const body = { event: 'demo.notification', ...(req.body ?? {}) } as Record<string, unknown>;
    const { userId, channel, ...rest } = body;
    try {
      if (channel !== undefined) {
        const dto = validated(ChannelNotificationDto, { ...rest, channels: [channel] }, res);
        if (dto) res.status(202).json({ id: await notifications.notifyChannels(dto) });
      } else if (userId === undefined) {
        const dto = validated(BroadcastNotificationDto, rest, res);
        if (dto) res.status(202).json({ id: await notifications.notifyAll(dto) });
      } else {
        const dto = validated(UserNotificationDto, { ...rest, userIds: [userId] }, res);
        if (dto) res.status(202).json({ id: await notifications.notifyUsers(dto) });
      }
    } catch {
      res.status(503).json({ statusCode: 503, message: 'broker unavailable; nothing was delivered' });
    }
  });

  router.get('/dev/presence/:userId', async (req: Request, res: Response) => {
    const userId = String(req.params.userId);
    try {
      const connections = await presence.count(userId);
      res.json({ userId, online: connections > 0, connections });
    } catch {
      res.status(503).json({ statusCode: 503, message: 'presence unavailable' });
    }
  });

  router.get('/dev/channels/:channel/presence', async (req: Request, res: Response) => {
    const channel = String(req.params.channel);
    if (!isChannelName(channel)) return void res.status(400).json({ statusCode: 400, message: CHANNEL_RULE });
    try {
      const { subscribers, users } = await presence.channel(channel, 1000);
      res.json({ channel, subscribers, users });
    } catch {
      res.status(503).json({ statusCode: 503, message: 'presence unavailable' });
    }
  });

  router.use((err: { status?: number; type?: string }, _req: Request, res: Response, next: (err?: unknown) => void) => {
    if (!err?.type?.startsWith('entity.') && err?.status !== 400) return next(err);
    res.status(err.status ?? 400).json({ statusCode: err.status ?? 400, message: 'body must be a small JSON object' });
  });
  return router;
}

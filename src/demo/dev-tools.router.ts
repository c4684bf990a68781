import { JwtService } from '@nestjs/jwt';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min, validateSync } from 'class-validator';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PresenceManager } from '../presence/presence.js';
import { CHANNEL_PATTERN, CHANNEL_RULE, isChannelName } from '../channels/channel-name.js';
import type { HeraldConfig } from '../config/herald-config.js';
import { BroadcastNotificationDto, ChannelNotificationDto, UserNotificationDto } from '../notifications/notification.dto.js';
import { wantsJsonBody } from '../notifications/json-body.middleware.js';
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

function validated<T extends object>(cls: new () => T, body: unknown, reply: FastifyReply): T | undefined {
  const dto = plainToInstance(cls, body ?? {});
  const errors = validateSync(dto, { forbidUnknownValues: false });
  if (errors.length === 0) return dto;
  void reply.code(400).send({ statusCode: 400, message: 'validation failed', errors: fieldErrors(errors) });
  return undefined;
}

/** The JSON parser (registerJsonBodyParser) reads these routes' bodies. */
const jsonBody = { onRequest: (req: FastifyRequest, _reply: FastifyReply, done: () => void) => (wantsJsonBody(req.raw), done()) };

/**
 * Development-only helpers for the demo page: `POST /dev/token` mints a user
 * JWT (or, with `channel`, a subscription token) with the built-in dev secret,
 * `POST /dev/notify` sends a notification without an API key (to a user, a
 * channel or everyone), `GET /dev/presence/:userId` and
 * `GET /dev/channels/:channel/presence` answer like their API-key
 * counterparts. Registered only when demoPageEnabled(config).
 */
export function registerDevTools(fastify: FastifyInstance, config: HeraldConfig, notifications: NotificationsService, presence: PresenceManager): void {
  const jwt = new JwtService();

  fastify.post('/dev/token', jsonBody, async (req, reply) => {
    const dto = validated(DevTokenDto, req.body, reply);
    if (!dto) return reply;
    const ttlSec = dto.ttlSec ?? 3600;
    const token = jwt.sign(dto.channel === undefined ? { sub: dto.userId } : { sub: dto.userId, channel: dto.channel }, {
      secret: config.jwt.secret,
      algorithm: 'HS256',
      expiresIn: ttlSec,
      ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
      ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
    });
    const { exp } = jwt.decode(token) as { exp: number };
    return reply.code(201).send({ token, expiresAt: exp * 1000 });
  });

  /** `{"userId": "bob", "event"?, "payload"?}` notifies one user; `{"channel"}` a channel; with neither, everyone. */
  fastify.post('/dev/notify', jsonBody, async (req, reply) => {
    const body = { event: 'demo.notification', ...((req.body as object | undefined) ?? {}) } as Record<string, unknown>;
    const { userId, channel, ...rest } = body;
    try {
      if (channel !== undefined) {
        const dto = validated(ChannelNotificationDto, { ...rest, channels: [channel] }, reply);
        if (dto) return reply.code(202).send({ id: await notifications.notifyChannels(dto) });
      } else if (userId === undefined) {
        const dto = validated(BroadcastNotificationDto, rest, reply);
        if (dto) return reply.code(202).send({ id: await notifications.notifyAll(dto) });
      } else {
        const dto = validated(UserNotificationDto, { ...rest, userIds: [userId] }, reply);
        if (dto) return reply.code(202).send({ id: await notifications.notifyUsers(dto) });
      }
    } catch {
      return reply.code(503).send({ statusCode: 503, message: 'broker unavailable; nothing was delivered' });
    }
    return reply;
  });

  fastify.get('/dev/presence/:userId', async (req, reply) => {
    const userId = String((req.params as { userId: string }).userId);
    try {
      const connections = await presence.count(userId);
      return reply.send({ userId, online: connections > 0, connections });
    } catch {
      return reply.code(503).send({ statusCode: 503, message: 'presence unavailable' });
    }
  });

  fastify.get('/dev/channels/:channel/presence', async (req, reply) => {
    const channel = String((req.params as { channel: string }).channel);
    if (!isChannelName(channel)) return reply.code(400).send({ statusCode: 400, message: CHANNEL_RULE });
    try {
      const { subscribers, users } = await presence.channel(channel, 1000);
      return reply.send({ channel, subscribers, users });
    } catch {
      return reply.code(503).send({ statusCode: 503, message: 'presence unavailable' });
    }
  });
}

import { JwtService } from '@nestjs/jwt';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min, validateSync } from 'class-validator';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HeraldConfig } from '../config/herald-config.js';
import { BroadcastNotificationDto, UserNotificationDto } from '../notifications/notification.dto.js';
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
 * JWT with the built-in dev secret, `POST /dev/notify` sends a notification
 * without an API key. Registered only when demoPageEnabled(config).
 */
export function registerDevTools(fastify: FastifyInstance, config: HeraldConfig, notifications: NotificationsService): void {
  const jwt = new JwtService();

  fastify.post('/dev/token', jsonBody, async (req, reply) => {
    const dto = validated(DevTokenDto, req.body, reply);
    if (!dto) return reply;
    const ttlSec = dto.ttlSec ?? 3600;
    const token = jwt.sign(
      { sub: dto.userId },
      {
        secret: config.jwt.secret,
        algorithm: 'HS256',
        expiresIn: ttlSec,
        ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
        ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
      },
    );
    const { exp } = jwt.decode(token) as { exp: number };
    return reply.code(201).send({ token, expiresAt: exp * 1000 });
  });

  /** `{"userId": "bob", "event"?, "payload"?}` notifies one user; without userId, everyone. */
  fastify.post('/dev/notify', jsonBody, async (req, reply) => {
    const body = { event: 'demo.notification', ...((req.body as object | undefined) ?? {}) } as Record<string, unknown>;
    const { userId, ...rest } = body;
    try {
      if (userId === undefined) {
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
}

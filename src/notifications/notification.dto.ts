import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { CHANNEL_PATTERN, CHANNEL_RULE } from '../channels/channel-name.js';
import { TYPE_PATTERN } from '../protocol/envelope.js';
import { registerFastAccept } from '../protocol/http-validation.pipe.js';

const EVENT_RULE = 'event must be 1 to 64 characters of [a-z0-9_.:-]';

export class BroadcastNotificationDto {
  @ApiProperty({ example: 'order.shipped', pattern: TYPE_PATTERN.source })
  @IsString()
  @Matches(TYPE_PATTERN, { message: EVENT_RULE })
  event: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { orderId: 42 } })
  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Same key on the same endpoint within 5 minutes: answered with the first id, delivered once' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  idempotencyKey?: string;
}

export class UserNotificationDto extends BroadcastNotificationDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 1000, example: ['alice'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Length(1, 256, { each: true })
  userIds: string[];
}

/** Up to this many notifications in one POST /notifications/batch. */
const MAX_BATCH_ITEMS = 1000;

export class BatchNotificationsDto {
  @ApiProperty({ type: [UserNotificationDto], minItems: 1, maxItems: MAX_BATCH_ITEMS, description: 'Each as the body of POST /notifications' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => UserNotificationDto)
  items: UserNotificationDto[];
}

export class BatchAcceptedResponse {
  @ApiProperty({ type: [String], format: 'uuid', description: 'One id per item, in order; an idempotencyKey seen before answers its first id' })
  ids: string[];
}

export class ChannelNotificationDto extends BroadcastNotificationDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 100, example: ['doc:42'], description: 'Channel names (PROTOCOL §10)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(CHANNEL_PATTERN, { each: true, message: CHANNEL_RULE })
  channels: string[];
}

export class AcceptedResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
}

export class PresenceResponse {
  @ApiProperty() userId: string;
  @ApiProperty() online: boolean;
  @ApiProperty({ description: 'Authenticated connections across the cluster' }) connections: number;
}

const isEvent = (v: unknown): v is string => typeof v === 'string' && TYPE_PATTERN.test(v);
// 1..256 UTF-16 units is within class-validator's Length(1, 256), which counts a surrogate pair once
const isShortString = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 256;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of BroadcastNotificationDto when they certainly pass its rules (see registerFastAccept). */
function broadcastFields(body: unknown): BroadcastNotificationDto | undefined {
  if (!isPlainObject(body)) return undefined;
  const { event, payload, idempotencyKey } = body;
  if (!isEvent(event) || (payload !== undefined && !isPlainObject(payload)) || (idempotencyKey !== undefined && !isShortString(idempotencyKey))) return undefined;
  return { event, payload, idempotencyKey };
}

export function acceptBroadcast(body: unknown): BroadcastNotificationDto | undefined {
  const fields = broadcastFields(body);
  return fields && Object.assign(new BroadcastNotificationDto(), fields);
}

export function acceptUserNotification(body: unknown): UserNotificationDto | undefined {
  const fields = broadcastFields(body);
  const userIds = fields && (body as { userIds?: unknown }).userIds;
  if (!fields || !Array.isArray(userIds) || userIds.length < 1 || userIds.length > 1000) return undefined;
  for (const userId of userIds) if (!isShortString(userId)) return undefined;
  return Object.assign(new UserNotificationDto(), fields, { userIds });
}

export function acceptBatch(body: unknown): BatchNotificationsDto | undefined {
  const items = isPlainObject(body) ? body.items : undefined;
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BATCH_ITEMS) return undefined;
  const dtos = new Array<UserNotificationDto>(items.length);
  for (let i = 0; i < items.length; i++) {
    const dto = acceptUserNotification(items[i]);
    if (!dto) return undefined;
    dtos[i] = dto;
  }
  return Object.assign(new BatchNotificationsDto(), { items: dtos });
}

registerFastAccept(BroadcastNotificationDto, acceptBroadcast);
registerFastAccept(BatchNotificationsDto, acceptBatch);
registerFastAccept(UserNotificationDto, acceptUserNotification);

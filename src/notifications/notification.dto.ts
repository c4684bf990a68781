import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, Length, Matches } from 'class-validator';
import { CHANNEL_PATTERN, CHANNEL_RULE } from '../channels/channel-name.js';
import { TYPE_PATTERN } from '../protocol/envelope.js';

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

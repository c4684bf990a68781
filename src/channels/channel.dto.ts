import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { StreamPositionDto } from '../protocol/messages.dto.js';
import { CHANNEL_PATTERN, CHANNEL_RULE } from './channel-name.js';

/** `subscribe` data (PROTOCOL §10). */
export class SubscribeDto {
  @IsString()
  @Matches(CHANNEL_PATTERN, { message: CHANNEL_RULE })
  channel: string;

  @IsOptional()
  @IsString()
  @MaxLength(8192)
  token?: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StreamPositionDto)
  recover?: StreamPositionDto;
}

/** `unsubscribe` data (PROTOCOL §10). */
export class UnsubscribeDto {
  @IsString()
  @Matches(CHANNEL_PATTERN, { message: CHANNEL_RULE })
  channel: string;
}

/** The `:channel` of the REST paths. */
export class ChannelParams {
  @ApiProperty({ example: 'doc:42', pattern: CHANNEL_PATTERN.source })
  @Matches(CHANNEL_PATTERN, { message: CHANNEL_RULE })
  channel: string;
}

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

/** `GET /channels/:channel/history` query. */
export class HistoryQuery {
  @ApiPropertyOptional({ description: 'Return notifications with an offset above this one', default: 0, minimum: 0 })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'since must be a whole number of 0 or more' })
  @Min(0)
  since?: number;

  @ApiPropertyOptional({ description: 'At most this many, oldest first', default: 100, minimum: 1, maximum: 100 })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'limit must be a whole number from 1 to 100' })
  @Min(1)
  @Max(100)
  limit?: number;
}

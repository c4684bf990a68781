import type { ChannelHistory, ChannelPresence } from '@herald/client/protocol';
import { Controller, Get, Inject, Param, Query, UseGuards, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiSecurity, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../protocol/error-body.dto.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { BROKER, type Broker } from '../broker/broker.js';
import { PRESENCE, type PresenceManager } from '../presence/presence.js';
import { httpValidationPipe } from '../protocol/http-validation.pipe.js';
import { historyEntry } from '../streams/notification-frame.js';
import { streamName } from '../streams/stream-names.js';
import { ChannelParams, HistoryQuery } from './channel.dto.js';

/** At most this many distinct users in a presence answer (PROTOCOL §10). */
const MAX_PRESENCE_USERS = 1000;
const DEFAULT_HISTORY_LIMIT = 100;

class ChannelPresenceResponse implements ChannelPresence {
  @ApiProperty({ example: 'doc:42' }) channel: string;
  @ApiProperty({ description: 'Connections holding the channel, across the cluster' }) subscribers: number;
  @ApiProperty({ type: [String], description: 'The distinct user ids among them, at most 1000' }) users: string[];
}

class ChannelHistoryEntryResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'doc.edited' }) event: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload: Record<string, unknown>;
  @ApiProperty() offset: number;
  @ApiProperty({ description: 'ms since the epoch, when it was accepted' }) ts: number;
}

class ChannelHistoryResponse implements ChannelHistory {
  @ApiProperty({ example: 'doc:42' }) channel: string;
  @ApiProperty({ description: "The channel stream's epoch" }) epoch: string;
  @ApiProperty({ description: 'The offset of its last notification (0 when none yet)' }) offset: number;
  @ApiProperty({ type: [ChannelHistoryEntryResponse], description: 'Still in history, offset above `since`, oldest first' })
  notifications: ChannelHistoryEntryResponse[];
}

@ApiTags('channels')
@ApiSecurity('api-key')
@ApiSecurity('api-key-bearer')
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: ErrorBody })
@ApiBadRequestResponse({ description: 'A bad channel name, `since` or `limit`; field errors listed', type: ErrorBody })
@ApiServiceUnavailableResponse({ description: 'Broker unreachable', type: ErrorBody })
@UseGuards(ApiKeyGuard)
@UsePipes(httpValidationPipe)
@Controller('channels')
export class ChannelsController {
  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    @Inject(PRESENCE) private readonly presence: PresenceManager,
  ) {}

  @Get(':channel/presence')
  @ApiOperation({ summary: "A channel's subscribers across the cluster, and the distinct users among them" })
  @ApiOkResponse({ type: ChannelPresenceResponse })
  async presenceOf(@Param() { channel }: ChannelParams): Promise<ChannelPresence> {
    const { subscribers, users } = await this.presence.channel(channel, MAX_PRESENCE_USERS);
    return { channel, subscribers, users };
  }

  @Get(':channel/history')
  @ApiOperation({ summary: "A channel's notifications still in history after `since`, oldest first" })
  @ApiOkResponse({ type: ChannelHistoryResponse })
  async history(@Param() { channel }: ChannelParams, @Query() query: HistoryQuery): Promise<ChannelHistory> {
    const { position, publications } = await this.broker.history(streamName.channel(channel), {
      since: query.since ?? 0,
      limit: query.limit ?? DEFAULT_HISTORY_LIMIT,
    });
    return { channel, epoch: position.epoch, offset: position.offset, notifications: publications.map(historyEntry) };
  }
}

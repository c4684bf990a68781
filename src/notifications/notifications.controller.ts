import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards, UsePipes } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiGatewayTimeoutResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiSecurity, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { PRESENCE, type PresenceManager } from '../broker/broker.js';
import { httpValidationPipe } from '../protocol/http-validation.pipe.js';
import { AcceptedResponse, BroadcastNotificationDto, ChannelNotificationDto, PresenceResponse, UserNotificationDto } from './notification.dto.js';
import { NotificationsService } from './notifications.service.js';

const UNAVAILABLE =
  'Redis unreachable, or known not to have run the publication: nothing was delivered and the idempotencyKey stays free; retry later. Body: {statusCode, error, outcome: "not_delivered", message}';
const OUTCOME_UNKNOWN =
  'Redis did not answer a publication it was sent (it hung or dropped the connection mid-call): it may or may not have been delivered. ' +
  'Body: {statusCode, error, outcome: "unknown", id, message}. Retry with the same idempotencyKey: the answer is then 202 with this id if it was delivered, or a delivery now; never twice.';

@ApiTags('notifications')
@ApiSecurity('api-key')
@ApiSecurity('api-key-bearer')
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key' })
@UseGuards(ApiKeyGuard)
@UsePipes(httpValidationPipe)
@Controller()
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    @Inject(PRESENCE) private readonly presence: PresenceManager,
  ) {}

  @Post('notifications')
  @HttpCode(202)
  @ApiOperation({ summary: 'Notify users on /notification; kept in each user\'s history for recovery' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation; field errors listed' })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES' })
  @ApiServiceUnavailableResponse({ description: UNAVAILABLE })
  @ApiGatewayTimeoutResponse({ description: OUTCOME_UNKNOWN })
  async notifyUsers(@Body() dto: UserNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyUsers(dto) };
  }

  @Post('notifications/broadcast')
  @HttpCode(202)
  @ApiOperation({ summary: 'Notify every /notification connection; kept in the broadcast history' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation; field errors listed' })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES' })
  @ApiServiceUnavailableResponse({ description: UNAVAILABLE })
  @ApiGatewayTimeoutResponse({ description: OUTCOME_UNKNOWN })
  async notifyAll(@Body() dto: BroadcastNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyAll(dto) };
  }

  @Post('notifications/channels')
  @HttpCode(202)
  @ApiOperation({ summary: "Notify the subscribers of 1..100 channels; kept in each channel's history for recovery (PROTOCOL §10)" })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation (a bad channel name included); field errors listed' })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES' })
  @ApiServiceUnavailableResponse({ description: UNAVAILABLE })
  @ApiGatewayTimeoutResponse({ description: OUTCOME_UNKNOWN })
  async notifyChannels(@Body() dto: ChannelNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyChannels(dto) };
  }

  @Get('presence/:userId')
  @ApiOperation({ summary: 'Whether a user has authenticated connections, counted across the cluster' })
  @ApiOkResponse({ type: PresenceResponse })
  async presenceOf(@Param('userId') userId: string): Promise<PresenceResponse> {
    const connections = await this.presence.count(userId);
    return { userId, online: connections > 0, connections };
  }
}

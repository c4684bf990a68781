import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards, UsePipes } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiSecurity, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { PRESENCE, type PresenceManager } from '../broker/broker.js';
import { httpValidationPipe } from '../protocol/http-validation.pipe.js';
import { AcceptedResponse, BatchAcceptedResponse, BatchNotificationsDto, BroadcastNotificationDto, PresenceResponse, UserNotificationDto } from './notification.dto.js';
import { NotificationsService } from './notifications.service.js';

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
  @ApiServiceUnavailableResponse({ description: 'Broker unreachable; nothing was delivered' })
  async notifyUsers(@Body() dto: UserNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyUsers(dto) };
  }

  @Post('notifications/batch')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Up to 1,000 notifications, each as the body of POST /notifications, in one call',
    description:
      'The whole call is validated before anything is published: one invalid item answers 400, its index in each field error ' +
      '(`items.3.event`), and nothing is delivered. An idempotencyKey repeated in the batch, or seen within 5 minutes on this ' +
      'endpoint, answers its first id and delivers once. On 503 the items the broker took keep their keys: retry the whole ' +
      'batch with the same keys (items without a key may then be delivered twice).',
  })
  @ApiAcceptedResponse({ type: BatchAcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or an item fails validation; field errors name the item (`items.<index>.<field>`)' })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES' })
  @ApiServiceUnavailableResponse({ description: 'Broker unreachable; some items may not have been delivered' })
  async notifyBatch(@Body() dto: BatchNotificationsDto): Promise<BatchAcceptedResponse> {
    return { ids: await this.notifications.notifyBatch(dto.items) };
  }

  @Post('notifications/broadcast')
  @HttpCode(202)
  @ApiOperation({ summary: 'Notify every /notification connection; kept in the broadcast history' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation; field errors listed' })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES' })
  @ApiServiceUnavailableResponse({ description: 'Broker unreachable; nothing was delivered' })
  async notifyAll(@Body() dto: BroadcastNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyAll(dto) };
  }

  @Get('presence/:userId')
  @ApiOperation({ summary: 'Whether a user has authenticated connections, counted across the cluster' })
  @ApiOkResponse({ type: PresenceResponse })
  async presenceOf(@Param('userId') userId: string): Promise<PresenceResponse> {
    const connections = await this.presence.count(userId);
    return { userId, online: connections > 0, connections };
  }
}

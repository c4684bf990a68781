import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards, UsePipes } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiSecurity, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { PRESENCE, type PresenceManager } from '../presence/presence.js';
import { ErrorBody } from '../protocol/error-body.dto.js';
import { httpValidationPipe } from '../protocol/http-validation.pipe.js';
import { AcceptedResponse, BatchAcceptedResponse, BatchNotificationsDto, BroadcastNotificationDto, ChannelNotificationDto, PresenceResponse, UserNotificationDto } from './notification.dto.js';
import { NotificationsService } from './notifications.service.js';

const UNAVAILABLE =
  'Redis unreachable, or known not to have run the publication: nothing was delivered and the idempotencyKey stays free; retry later. Body: {statusCode, error, outcome: "not_delivered", message}';
const OUTCOME_UNKNOWN =
  'Redis did not answer a publication it was sent (it hung or dropped the connection mid-call): it may or may not have been delivered. ' +
  'Body: {statusCode, error, outcome: "unknown", id, message}. Retry with the same idempotencyKey: the answer is then 202 with this id if it was delivered, or a delivery now; never twice.';
/** Both 503 cases of a publication (docs/deployment.md, "Publish outcomes"): PROTOCOL §9 answers 503 for either; `outcome` tells them apart. */
const PUBLISH_UNAVAILABLE = `${UNAVAILABLE} Or, when the outcome is unknown: ${OUTCOME_UNKNOWN}`;

@ApiTags('notifications')
@ApiSecurity('api-key')
@ApiSecurity('api-key-bearer')
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: ErrorBody })
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
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation; field errors listed', type: ErrorBody })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES', type: ErrorBody })
  @ApiServiceUnavailableResponse({ description: PUBLISH_UNAVAILABLE, type: ErrorBody })
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
  @ApiBadRequestResponse({ description: 'Body is not JSON or an item fails validation; field errors name the item (`items.<index>.<field>`)', type: ErrorBody })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES', type: ErrorBody })
  @ApiServiceUnavailableResponse({ description: 'Broker unreachable; some items may not have been delivered', type: ErrorBody })
  async notifyBatch(@Body() dto: BatchNotificationsDto): Promise<BatchAcceptedResponse> {
    return { ids: await this.notifications.notifyBatch(dto.items) };
  }

  @Post('notifications/broadcast')
  @HttpCode(202)
  @ApiOperation({ summary: 'Notify every /notification connection; kept in the broadcast history' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation; field errors listed', type: ErrorBody })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES', type: ErrorBody })
  @ApiServiceUnavailableResponse({ description: PUBLISH_UNAVAILABLE, type: ErrorBody })
  async notifyAll(@Body() dto: BroadcastNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyAll(dto) };
  }

  @Post('notifications/channels')
  @HttpCode(202)
  @ApiOperation({ summary: "Notify the subscribers of 1..100 channels; kept in each channel's history for recovery (PROTOCOL §10)" })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation (a bad channel name included); field errors listed', type: ErrorBody })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES', type: ErrorBody })
  @ApiServiceUnavailableResponse({ description: PUBLISH_UNAVAILABLE, type: ErrorBody })
  async notifyChannels(@Body() dto: ChannelNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyChannels(dto) };
  }

  @Get('presence/:userId')
  @ApiOperation({ summary: 'Whether a user has authenticated connections, counted across the cluster' })
  @ApiOkResponse({ type: PresenceResponse })
  @ApiServiceUnavailableResponse({ description: 'Presence store (Redis) unreachable', type: ErrorBody })
  async presenceOf(@Param('userId') userId: string): Promise<PresenceResponse> {
    const connections = await this.presence.count(userId);
    return { userId, online: connections > 0, connections };
  }
}
